// Proves settings that once passed but silently disable a feature (or overflow a timer) are refused in one line, never echoing a secret.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { templateNameFor } from '../../src/lifecycle/template.ts'
import { createDatabase, withAdmin } from '../helpers/database.ts'
import { runNode } from '../helpers/spawn.ts'

const MALFORMED_URL = 'postgres://u:SeCrEt@[bad/db'

const refused: Array<[string, string]> = [
  ['RATE_LIMIT_WINDOW', '0.5'],
  ['LOGIN_RATE_LIMIT_WINDOW', '0.9'],
  ['POOL_IDLE_TIMEOUT_SECONDS', '3000000'],
  ['RATE_LIMIT_WINDOW', '1e23'],
  ['RATE_LIMIT_WINDOW', '100000000000000000000000'],
  ['LOGIN_RATE_LIMIT_WINDOW', '100000000000000000000000 ms'],
  ['DATABASE_URL', 'postgres://u:p@localhost:99999/db'],
  ['DATABASE_URL', MALFORMED_URL],
]

for (const [name, value] of refused) {
  t.test(`loadConfig refuses ${name}=${value}`, async (t) => {
    let thrown: unknown
    let loaded: unknown
    try {
      loaded = loadConfig({ [name]: value })
    } catch (error) {
      thrown = error
    }
    t.ok(thrown instanceof ConfigError, `a ConfigError is thrown${thrown === undefined ? ` (instead it loaded: ${JSON.stringify(summary(loaded))})` : ''}`)
    const message = (thrown as Error | undefined)?.message ?? ''
    t.match(message, name, 'the message names the variable')
    t.equal(message.split('\n').length, 1, 'one line')
    t.notMatch(message, 'SeCrEt', 'the password is not echoed')
  })
}

/** The parts of a loaded configuration the refused values land in. */
function summary (config: unknown) {
  const c = config as { rateLimit: unknown, loginRateLimit: unknown, pool: { idleTimeoutSeconds: number }, databaseUrl?: string }
  return { rateLimit: c.rateLimit, loginRateLimit: c.loginRateLimit, idleTimeoutSeconds: c.pool.idleTimeoutSeconds, databaseUrl: c.databaseUrl?.replace('SeCrEt', '***') }
}

t.test('the server given a malformed DATABASE_URL exits 1 with one line that does not echo the password', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tenancy-config-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const run = await runNode('src/server.ts', [], {
    DATABASE_URL: MALFORMED_URL,
    DATA_DIR: dataDir,
    PORT: '0',
    JWT_SECRET: 'j'.repeat(32),
    TENANT_DB_SECRET: 't'.repeat(32),
  }, 30_000)
  t.equal(run.timedOut, false, `the server exits by itself (within 30 s; took ${run.ms} ms)`)
  t.equal(run.code, 1, 'exit code 1')
  const lines = run.stderr.trim().split('\n')
  t.equal(lines.length, 1, `stderr is one line (got ${lines.length}: ${JSON.stringify(lines.slice(0, 3).map((line) => line.replaceAll('SeCrEt', '***')))})`)
  t.notMatch(run.stderr + run.stdout, 'SeCrEt', 'the password appears nowhere in the output')
})

t.test('the server given an ADMIN_PASSWORD the password policy refuses exits 1 with one line saying so', async (t) => {
  const master = await createDatabase('master')
  t.teardown(async () => {
    await master.drop()
    await withAdmin((sql) => sql`drop database if exists ${sql(templateNameFor(master.name))} with (force)`)
  })
  const run = await runNode('src/server.ts', [], {
    DATABASE_URL: master.url,
    PORT: '0',
    LOG_LEVEL: 'silent',
    JWT_SECRET: 'j'.repeat(32),
    TENANT_DB_SECRET: 't'.repeat(32),
    ADMIN_EMAIL: 'marguerite@example.test',
    // Contains the email's local part.
    ADMIN_PASSWORD: 'marguerite runs the platform 42',
  }, 60_000)
  t.equal(run.timedOut, false, `the server exits by itself (took ${run.ms} ms)`)
  t.equal(run.code, 1, 'exit code 1')
  const lines = run.stderr.trim().split('\n')
  t.equal(lines.length, 1, `stderr is one line (got ${lines.length}: ${JSON.stringify(lines.slice(0, 3))})`)
  t.match(lines[0], /^tenancy: invalid configuration: ADMIN_PASSWORD .*email/, 'it names the setting and the reason')
  t.notMatch(run.stderr, 'marguerite runs', 'the password is not echoed')
})
