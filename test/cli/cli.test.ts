// The operator's CLI, run as a separate process against the test master database.
import { spawn } from 'node:child_process'
import { tenantMigrations } from '../../src/migrations/migrator.ts'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { adminToken, bearer, buildTestApp, createTenant, type TestApp } from '../helpers/app.ts'
import { eventually } from '../helpers/tenant-databases.ts'
import { databaseUrl, withAdmin } from '../helpers/database.ts'

interface CliResult { code: number | null, stdout: string, stderr: string }

function cli (app: TestApp, args: string[], env: Record<string, string> = {}, node: string[] = []): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...node, 'src/cli/main.ts', ...args], {
      env: {
        ...process.env,
        ...env,
        DATABASE_URL: databaseUrl(app.masterDatabaseName),
        TENANT_DB_SECRET: app.config.tenantDbSecret,
        JWT_SECRET: app.config.jwtSecret,
        TENANCY_OWNER_PASSWORD: 'an owner passphrase 7',
      },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.on('exit', (code) => { resolve({ code, stdout, stderr }) })
  })
}

t.test('--help lists the commands', async (t) => {
  const app = await buildTestApp(t)
  const { code, stdout } = await cli(app, ['--help'])
  t.equal(code, 0)
  for (const command of ['tenants', 'migrate', 'status']) t.match(stdout, command)
})

t.test('migrate skips current tenants without connecting; --verify goes on past a failing one, exits 1 and records why', async (t) => {
  const app = await buildTestApp(t)
  const admin = await adminToken(app)
  const healthy = await createTenant(app, admin)
  const broken = await createTenant(app, admin)
  await withAdmin((sql) => sql`drop database ${sql(`tenant_${broken.slug}`)} with (force)`)
  const latest = tenantMigrations.latestVersion

  const quick = await cli(app, ['migrate'])
  t.equal(quick.code, 0, 'both are recorded as current: nothing to do, and nothing was connected to')
  t.match(quick.stdout, '0 migrated, 0 failed, 2 already current')

  const run = await cli(app, ['migrate', '--verify', '--concurrency', '2'])
  t.equal(run.code, 1, 'non-zero exit when a tenant failed')
  t.match(run.stdout, new RegExp(`${healthy.slug}\\s+v${latest} -> v${latest}`))
  t.match(run.stdout, new RegExp(`${broken.slug}\\s+FAILED`))
  t.match(run.stdout, '1 migrated, 1 failed')
  t.match(run.stdout, 'server default: 1 migrated, 1 failed')

  const status = await cli(app, ['status', '--json'])
  t.equal(status.code, 0)
  const rows = JSON.parse(status.stdout) as Array<{ slug: string, server: string, migration_error: string | null }>
  t.same(rows.map((row) => row.slug).sort(), [healthy.slug, broken.slug].sort())
  t.match(rows.find((row) => row.slug === broken.slug), { server: 'default', migration_error: /does not exist/ }, 'the failure is recorded with its error')
  t.match(rows.find((row) => row.slug === healthy.slug), { migration_error: null })

  const retry = await cli(app, ['migrate'])
  t.match(retry.stdout, '1 to migrate', 'a tenant whose last migration failed is retried without --verify')
})

t.test('migrate takes a canary: --tenants names them, --first takes the first N', async (t) => {
  const app = await buildTestApp(t)
  const admin = await adminToken(app)
  const tenants = [await createTenant(app, admin), await createTenant(app, admin), await createTenant(app, admin)]
  const slugs = tenants.map((tenant) => tenant.slug).sort()
  const named = await cli(app, ['migrate', '--verify', '--tenants', `${slugs[2]},${slugs[0]}`])
  t.equal(named.code, 0, named.stderr)
  t.match(named.stdout, '2 tenant(s), 2 to migrate')
  t.notMatch(named.stdout, slugs[1] as string)
  const first = await cli(app, ['migrate', '--verify', '--first', '1'])
  t.match(first.stdout, new RegExp(`1 tenant\\(s\\), 1 to migrate[\\s\\S]*${slugs[0]}`))
  const unknown = await cli(app, ['migrate', '--tenants', 'nobody_here'])
  t.equal(unknown.code, 1)
  t.match(unknown.stderr, 'no active or suspended tenant "nobody_here"')
})

t.test('tenants create, suspend, activate and drop', async (t) => {
  const app = await buildTestApp(t)
  const slug = `cli${Date.now().toString(36)}`
  const created = await cli(app, ['tenants', 'create', slug, '--name', 'From CLI', '--owner-email', 'o@cli.test'])
  t.equal(created.code, 0, created.stderr)
  t.match(created.stdout, `created tenant ${slug}`)
  t.equal((await cli(app, ['tenants', 'create', slug, '--name', 'Again', '--owner-email', 'o@cli.test'])).code, 1, 'a taken slug fails')
  t.equal((await cli(app, ['tenants', 'suspend', slug])).code, 0)
  const [row] = await app.runtime.master.sql`select status from tenants where slug = ${slug}`
  t.equal(row?.status, 'suspended')
  t.equal((await cli(app, ['tenants', 'activate', slug])).code, 0)
  const refused = await cli(app, ['tenants', 'drop', slug])
  t.equal(refused.code, 1, 'drop needs --yes')
  t.equal((await cli(app, ['tenants', 'drop', slug, '--yes'])).code, 0)
  const [gone] = await app.runtime.master.sql`select count(*)::int as n from tenants where slug = ${slug}`
  t.equal(gone?.n, 0)
})

t.test('a CLI suspend reaches a running server within a second, though its cache would keep the tenant an hour', async (t) => {
  const app = await buildTestApp(t, { TENANT_CACHE_TTL_SECONDS: '3600' })
  const tenant = await createTenant(app, await adminToken(app))
  const notes = async () => (await app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(tenant.token) })).statusCode
  t.equal(await notes(), 200, 'served, and cached')
  t.equal(app.runtime.connections.stats().openPools, 1)

  t.equal((await cli(app, ['tenants', 'suspend', tenant.slug])).code, 0)
  const suspendedAt = performance.now()
  await eventually(async () => (await notes()) === 403, 1000)
  t.ok(performance.now() - suspendedAt < 1000, `403 within ${Math.round(performance.now() - suspendedAt)} ms of the CLI exiting`)
  t.equal(app.runtime.connections.stats().openPools, 0, 'and its pool is closed')

  t.equal((await cli(app, ['tenants', 'activate', tenant.slug])).code, 0)
  await eventually(async () => (await notes()) === 200, 1000)
  t.pass('reactivated within a second too')
})

t.test('tenants list loads no HTTP stack', async (t) => {
  const app = await buildTestApp(t)
  await createTenant(app, await adminToken(app))
  const dir = await mkdtemp(join(tmpdir(), 'tenancy-imports-'))
  const recorded = async (args: string[], file: string) => {
    const run = await cli(app, args, { RECORD_IMPORTS: join(dir, file) }, ['--import', './test/helpers/record-imports.mjs'])
    t.equal(run.code, 0, run.stderr)
    return (await readFile(join(dir, file), 'utf8')).split('\n')
  }
  const list = await recorded(['tenants', 'list'], 'list.txt')
  t.ok(list.some((specifier) => specifier.includes('runtime.ts')), 'the recording sees the runtime being loaded')
  // Two @fastify packages hold no HTTP: @fastify/error declares error classes, @fastify/ajv-compiler is the validator
  // the CLI shares with the API, so that both refuse the same input.
  const http = list.filter((specifier) => /^(fastify|fastify-plugin|@fastify\/(?!error$|ajv-compiler$)|ioredis$|close-with-grace$)/.test(specifier))
  t.same(http, [], 'no Fastify, Fastify plugin, Redis client or server shutdown module')
  const server = await new Promise<string[]>((resolve) => {
    const file = join(dir, 'server.txt')
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', './test/helpers/record-imports.mjs', '-e', "import('./src/http/app.ts')"], { env: { ...process.env, RECORD_IMPORTS: file } })
    child.on('exit', () => { void readFile(file, 'utf8').then((text) => { resolve(text.split('\n')) }) })
  })
  t.ok(server.includes('fastify'), 'while the same recording of the HTTP app does see Fastify')
})
