// `tenancy servers`: add a second server from the CLI (URL from TENANCY_SERVER_URL, never printed), see it in the list,
// put a tenant on it, drain it, and remove it only once empty; a running instance uses it without a restart.
import t from 'tap'
import { adminToken, bearer, buildTestApp, createTenant } from '../helpers/app.ts'
import { runCli } from '../helpers/spawn.ts'
import { startSecondServer } from '../helpers/throwaway-postgres.ts'

t.test('servers add, list, drain, activate, remove from the CLI', async (t) => {
  const second = await startSecondServer(t)
  const app = await buildTestApp(t)
  const env = { DATABASE_URL: app.config.databaseUrl, TENANT_DB_SECRET: app.config.tenantDbSecret, JWT_SECRET: app.config.jwtSecret }
  const url = second.url('postgres')
  const password = new URL(url).password

  const added = await runCli(['servers', 'add', 'second', '--max-tenants', '10'], { ...env, TENANCY_SERVER_URL: url })
  t.equal(added.code, 0, added.stderr)
  t.match(added.stdout, /added server second \(127\.0\.0\.1:\d+, PostgreSQL 1\d/)
  t.notMatch(added.stdout + added.stderr, password, 'the URL\'s password is printed nowhere')
  const bad = await runCli(['servers', 'add', 'third', '--url', 'postgres://postgres:x@127.0.0.1:1/postgres'], env)
  t.equal(bad.code, 1)
  t.match(bad.stderr, /^tenancy: The server cannot be reached/)

  const list = await runCli(['servers', 'list', '--json'], env)
  t.equal(list.code, 0, list.stderr)
  const rows = JSON.parse(list.stdout) as Array<{ name: string, max_tenants: number | null, reachable: boolean }>
  t.match(rows.find((row) => row.name === 'second'), { max_tenants: 10, reachable: true })
  t.notMatch(list.stdout, password)

  // The running instance was told: it places a tenant there at once.
  const admin = await adminToken(app)
  const created = await runCli(['tenants', 'create', 'on_second', '--name', 'On second', '--owner-email', 'o@second.test', '--server', 'second'], env)
  t.equal(created.code, 0, created.stderr)
  const tenant = await createTenant(app, admin)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(tenant.token) })).statusCode, 200)

  t.equal((await runCli(['servers', 'drain', 'second'], env)).code, 0)
  t.equal((await runCli(['servers', 'remove', 'second'], env)).code, 1, 'not while it holds a tenant')
  t.equal((await runCli(['tenants', 'drop', 'on_second', '--yes'], env)).code, 0)
  t.equal((await runCli(['servers', 'activate', 'second'], env)).code, 0)
  const removed = await runCli(['servers', 'remove', 'second'], env)
  t.equal(removed.code, 0, removed.stderr)
  t.match(removed.stdout, 'removed server second')
})
