// Bare tenant databases (role + database, no master record) for testing the connection manager directly.
import { randomBytes } from 'node:crypto'
import postgres from 'postgres'
import type { TenantConnectionTarget } from '../../src/connections/tenant-pool.ts'
import { createTenantDatabaseAdmin } from '../../src/tenant-database/admin.ts'
import { tenantDatabaseName, tenantRoleName, tenantRolePassword } from '../../src/tenant-database/identity.ts'
import { serverUrl } from './database.ts'

interface Teardown { teardown (fn: () => unknown): void }

export async function createTenantDatabases (t: Teardown, count: number) {
  const secret = randomBytes(32).toString('hex')
  const sql = postgres(serverUrl(), { max: 4, onnotice: () => {} })
  const reserved = await sql.reserve()
  const admin = createTenantDatabaseAdmin({ sql: reserved, adminUrl: serverUrl(), tenantDbSecret: secret, connectionLimit: 10, mark: 'tenancy:test' })
  const slugs = Array.from({ length: count }, () => `t${randomBytes(5).toString('hex')}`)
  for (const slug of slugs) {
    await admin.createRole(slug)
    await admin.createDatabase(slug, undefined)
    await admin.grantAccess(slug)
  }
  t.teardown(async () => {
    for (const slug of slugs) {
      await admin.dropDatabase(slug)
      await admin.dropRole(slug)
    }
    reserved.release()
    await sql.end()
  })
  const server = new URL(serverUrl())
  const target = (slug: string): TenantConnectionTarget => ({
    tenantId: slug,
    host: server.hostname,
    port: Number(server.port),
    database: tenantDatabaseName(slug),
    username: tenantRoleName(slug),
    password: tenantRolePassword(secret, slug),
  })
  /** Connections the server sees from one application name: what a manager under test holds. */
  const connections = async (applicationName: string): Promise<number> => {
    const [row] = await sql<{ count: number }[]>`select count(*)::int as count from pg_stat_activity where application_name = ${applicationName}`
    return row?.count ?? 0
  }
  return { slugs, admin, sql, target, connections }
}

/** Polls until `check` holds, failing after `ms`: for conditions the server reaches on its own time. */
export async function eventually (check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
