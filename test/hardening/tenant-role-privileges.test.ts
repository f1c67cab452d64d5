// Proves that a tenant's own database role, logged in with its password, cannot change its database's structure or reach other databases.
import postgres from 'postgres'
import t from 'tap'
import { tenantRolePassword } from '../../src/tenant-database/identity.ts'
import { adminToken, buildTestApp, createTenant } from '../helpers/app.ts'
import { serverUrl } from '../helpers/database.ts'

const INSUFFICIENT_PRIVILEGE = '42501'
const INVALID_AUTHORIZATION = '28000'

/** What a statement or a connection attempt came to: 'succeeded' or the SQLSTATE and message of its error. */
async function outcome (run: () => Promise<unknown>): Promise<{ code: string, message: string }> {
  try {
    await run()
    return { code: 'succeeded', message: 'it succeeded' }
  } catch (error) {
    const { code, message } = error as { code?: string, message?: string }
    return { code: code ?? 'no SQLSTATE', message: message ?? String(error) }
  }
}

t.test('the tenant role is refused DDL on its own database and connections to other databases', async (t) => {
  const app = await buildTestApp(t)
  const { slug } = await createTenant(app, await adminToken(app))
  const server = new URL(serverUrl())
  const asTenant = (database: string) => postgres({
    host: server.hostname,
    port: Number(server.port),
    database,
    username: `tenant_${slug}`,
    password: tenantRolePassword(app.config.tenantDbSecret, slug),
    max: 1,
    connect_timeout: 5,
    onnotice: () => {},
  })

  const sql = asTenant(`tenant_${slug}`)
  t.teardown(() => sql.end({ timeout: 1 }))
  const [who] = await sql<{ user: string }[]>`select current_user as user`
  t.equal(who?.user, `tenant_${slug}`, 'logged in as the tenant role over TCP with its password')

  const statements = [
    'create schema evil',
    `alter database tenant_${slug} set search_path = evil, public`,
    "create function public.hashtext(text) returns int language sql as 'select 1'",
    'create table public.x (a int)',
  ]
  for (const statement of statements) {
    const result = await outcome(() => sql.unsafe(statement))
    t.equal(result.code, INSUFFICIENT_PRIVILEGE, `\`${statement}\` is refused with a permission error (${result.message})`)
  }

  for (const database of ['postgres', 'template1']) {
    const other = asTenant(database)
    const result = await outcome(() => other`select 1`)
    await other.end({ timeout: 1 })
    t.ok([INSUFFICIENT_PRIVILEGE, INVALID_AUTHORIZATION].includes(result.code), `connecting to ${database} as the tenant role is refused (${result.code}: ${result.message})`)
  }
})
