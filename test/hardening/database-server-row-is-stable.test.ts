// Proves that another process on the same master, reaching it by another address, must not rewrite where tenants' databases are.
import t from 'tap'
import { adminToken, bearer, buildTestApp, createTenant } from '../helpers/app.ts'
import { anotherInstance } from '../helpers/instances.ts'
import { startTcpProxy } from '../helpers/net.ts'
import { runCli } from '../helpers/spawn.ts'

async function serverRow (app: { runtime: { master: { sql: import('postgres').Sql } } }) {
  const [row] = await app.runtime.master.sql<{ host: string, port: number }[]>`select host, port from database_servers where name = 'default'`
  return row
}

/** The master URL of `app`, but through a proxy on another port: the same server, another address. */
async function proxiedUrl (t: { teardown (fn: () => unknown): void }, url: string) {
  const parsed = new URL(url)
  const proxy = await startTcpProxy(parsed.hostname, Number(parsed.port))
  t.teardown(() => proxy.close())
  parsed.port = String(proxy.port)
  return { url: parsed.toString(), proxy }
}

t.test('a second app on the same master through another address leaves the default server row alone', async (t) => {
  const app = await buildTestApp(t)
  const before = await serverRow(app)
  t.ok(before, 'app 1 recorded the default server')

  const { url, proxy } = await proxiedUrl(t, app.config.databaseUrl as string)
  const second = await anotherInstance(t, app, {}, url)
  await second.close()
  await proxy.close()

  t.same(await serverRow(app), before, 'host and port of the default server are unchanged')
  const tenant = await createTenant(app, await adminToken(app))
  const notes = await app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(tenant.token) })
  t.equal(notes.statusCode, 200, `app 1 serves a new tenant (got ${notes.statusCode} ${notes.body})`)
})

t.test('a CLI run through another address leaves the default server row alone', async (t) => {
  const app = await buildTestApp(t)
  const before = await serverRow(app)
  const { url, proxy } = await proxiedUrl(t, app.config.databaseUrl as string)
  const run = await runCli(['status', '--json'], { DATABASE_URL: url, TENANT_DB_SECRET: app.config.tenantDbSecret, JWT_SECRET: app.config.jwtSecret })
  t.equal(run.code, 0, run.stderr)
  await proxy.close()

  t.same(await serverRow(app), before, 'host and port of the default server are unchanged')
  const tenant = await createTenant(app, await adminToken(app))
  const notes = await app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(tenant.token) })
  t.equal(notes.statusCode, 200, `app 1 serves a new tenant (got ${notes.statusCode} ${notes.body})`)
})
