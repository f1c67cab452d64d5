// Proves the CLI refuses bad tenant input in one line, keeps --json parseable, reports bad options stack-free, gives up on a silent server.
import t from 'tap'
import { adminToken, buildTestApp, createTenant, randomSlug, type TestApp } from '../helpers/app.ts'
import { startSilentServer } from '../helpers/net.ts'
import { runCli } from '../helpers/spawn.ts'

function envFor (app: TestApp, extra: Record<string, string> = {}) {
  return {
    DATABASE_URL: app.config.databaseUrl as string,
    TENANT_DB_SECRET: app.config.tenantDbSecret,
    JWT_SECRET: app.config.jwtSecret,
    ...extra,
  }
}

const oneLine = (text: string) => text.trim() !== '' && !text.trim().includes('\n')

const badInputs: Array<[string, { name: string, email: string }]> = [
  ['an empty name', { name: '', email: 'o@cli.test' }],
  ['a 100k-character name', { name: 'n'.repeat(100_000), email: 'o@cli.test' }],
  ['a name with ANSI escapes', { name: '\u001b[31mRed Corp\u001b[0m', email: 'o@cli.test' }],
  ['a name with a newline', { name: 'Two\nLines', email: 'o@cli.test' }],
  ['an owner email that is not an email', { name: 'Fine Name', email: 'not an email' }],
]

t.test('tenants create refuses bad input: non-zero exit, one line, nothing created', async (t) => {
  const app = await buildTestApp(t)
  for (const [label, input] of badInputs) {
    const slug = randomSlug('cli')
    const run = await runCli(['tenants', 'create', slug, '--name', input.name, '--owner-email', input.email], envFor(app))
    t.not(run.code, 0, `${label}: non-zero exit (got ${run.code})`)
    t.ok(oneLine(run.stderr), `${label}: one-line error (got ${JSON.stringify(run.stderr.slice(0, 120))})`)
    const [row] = await app.runtime.master.sql<{ n: number }[]>`select count(*)::int as n from tenants where slug = ${slug}`
    t.equal(row?.n, 0, `${label}: no tenant ${slug} was created`)
  }
})

t.test('tenants list --json and status --json print JSON only, even when the server has warnings to log', async (t) => {
  const app = await buildTestApp(t)
  await createTenant(app, await adminToken(app))
  // A budget larger than the server's max_connections makes start-up log a warning.
  const env = envFor(app, { POOL_MAX_TENANTS: '1000' })
  for (const args of [['tenants', 'list', '--json'], ['status', '--json']]) {
    const run = await runCli(args, env)
    t.equal(run.code, 0, `${args.join(' ')}: exit 0`)
    let parsed: unknown
    try {
      parsed = JSON.parse(run.stdout)
    } catch {}
    t.ok(Array.isArray(parsed), `${args.join(' ')}: the whole stdout parses as a JSON array (it starts ${JSON.stringify(run.stdout.slice(0, 100))})`)
  }
})

t.test('migrate --concurrency abc: exit 1, one line on stderr, no stack trace', async (t) => {
  const app = await buildTestApp(t)
  const run = await runCli(['migrate', '--concurrency', 'abc'], envFor(app))
  t.equal(run.code, 1, 'exit 1')
  t.ok(oneLine(run.stderr), `one line on stderr (got ${run.stderr.trim().split('\n').length} lines)`)
  t.notMatch(run.stderr, /^\s{4}at /m, 'no stack trace')
})

for (const value of ['', ' , ,']) {
  t.test(`migrate --tenants ${JSON.stringify(value)} names no tenant: exit 1, one line, nothing migrated`, async (t) => {
    const app = await buildTestApp(t)
    const run = await runCli(['migrate', '--tenants', value], envFor(app))
    t.equal(run.code, 1, 'exit 1')
    t.ok(oneLine(run.stderr), `one line on stderr (got ${JSON.stringify(run.stderr)})`)
    t.match(run.stderr, /--tenants/, 'it names the option')
    t.notMatch(run.stdout, /migrated/, 'no migration ran')
  })
}

t.test('a DATABASE_URL whose server never answers: non-zero exit within the connect timeout, one clear line', async (t) => {
  const silent = await startSilentServer()
  t.teardown(() => silent.close())
  // What starting the CLI costs on this machine right now (it is shared, and loaded while the suite runs): the
  // time the command may take is that, plus the master's 3 s connect timeout, plus a second.
  const started = await runCli(['--help'], { DATABASE_URL: `postgres://u:p@127.0.0.1:${silent.port}/master` }, 30_000)
  const allowed = started.ms + 3000 + 1000
  const run = await runCli(['tenants', 'list'], {
    DATABASE_URL: `postgres://u:p@127.0.0.1:${silent.port}/master`,
    TENANT_DB_SECRET: 't'.repeat(32),
    JWT_SECRET: 'j'.repeat(32),
  }, Math.max(allowed, 8000) + 5000)
  t.ok(!run.timedOut && run.ms <= allowed, `exits by itself within ${allowed} ms (--help took ${started.ms} ms; this took ${run.ms} ms)`)
  t.match(run.stderr, /could not reach the master database at 127\.0\.0\.1:\d+ within 3 s/, 'and says which server, without the URL')
  t.notMatch(run.stderr, 'u:p@', 'never the URL itself')
  t.not(run.code, 0, 'non-zero exit')
  t.ok(oneLine(run.stderr), `one line on stderr (got ${JSON.stringify(run.stderr.slice(0, 160))})`)
})
