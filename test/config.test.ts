// Configuration: defaults, validation with one clear line per bad variable, and the server refusing to start on one.
import { spawn } from 'node:child_process'
import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.ts'

t.test('defaults give a runnable development configuration', async (t) => {
  const config = loadConfig({})
  t.equal(config.port, 3000)
  t.equal(config.host, '0.0.0.0')
  t.equal(config.databaseUrl, undefined, 'no DATABASE_URL means the embedded server')
  t.same(config.pool, { maxTenants: 50, maxConnectionsPerTenant: 2, idleTimeoutSeconds: 30, connectTimeoutSeconds: 5, drainTimeoutSeconds: 10 })
  t.same(config.rateLimit, { max: 1000, windowMs: 60_000 })
  t.same(config.loginRateLimit, { max: 10, windowMs: 15 * 60_000 })
})

t.test('values are coerced from strings and durations parsed', async (t) => {
  const config = loadConfig({ PORT: '8080', POOL_MAX_TENANTS: '7', RATE_LIMIT_WINDOW: '30 seconds', LOGIN_RATE_LIMIT_WINDOW: '5000', ADMIN_EMAIL: 'Root@Example.com', ADMIN_PASSWORD: 'a-long-password' })
  t.equal(config.port, 8080)
  t.equal(config.pool.maxTenants, 7)
  t.equal(config.rateLimit.windowMs, 30_000)
  t.equal(config.loginRateLimit.windowMs, 5000)
  t.equal(config.admin.email, 'root@example.com')
})

const invalid: Array<[Record<string, string>, RegExp]> = [
  [{ PORT: 'abc' }, /^PORT must be integer$/],
  [{ PORT: '70000' }, /^PORT must be <= 65535$/],
  [{ POOL_MAX_TENANTS: '0' }, /^POOL_MAX_TENANTS must be >= 1$/],
  [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of: fatal, error/],
  [{ DATABASE_URL: 'mysql://localhost/db' }, /^DATABASE_URL must be a postgres:\/\/ URL/],
  [{ RATE_LIMIT_WINDOW: 'soon' }, /^RATE_LIMIT_WINDOW must be a duration/],
  [{ LOGIN_RATE_LIMIT_WINDOW: '3 fortnights' }, /^LOGIN_RATE_LIMIT_WINDOW must be a duration/],
  [{ JWT_SECRET: 'short' }, /^JWT_SECRET must NOT have fewer than 32 characters$/],
  [{ NODE_ENV: 'production' }, /^JWT_SECRET is required when NODE_ENV=production$/],
  [{ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }, /^TENANT_DB_SECRET is required when NODE_ENV=production$/],
  [{ ADMIN_EMAIL: 'root@example.com' }, /^ADMIN_EMAIL and ADMIN_PASSWORD must be set together$/],
  [{ REDIS_URL: 'localhost:6379' }, /^REDIS_URL must be a redis:\/\//],
]

for (const [env, message] of invalid) {
  t.test(`rejects ${JSON.stringify(env)}`, async (t) => {
    t.throws(() => loadConfig(env), { name: 'ConfigError', message })
  })
}

t.test('a secret that fails validation is never echoed', async (t) => {
  const secret = 'tooshort-but-secret'
  const error = t.throws(() => loadConfig({ JWT_SECRET: secret })) as ConfigError
  t.notMatch(error.message, secret)
})

t.test('the server exits 1 with one line naming the bad variable', async (t) => {
  const { code, stderr } = await new Promise<{ code: number | null, stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env: { ...process.env, PORT: 'abc' } })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.on('exit', (code) => { resolve({ code, stderr }) })
  })
  t.equal(code, 1)
  t.equal(stderr.trim().split('\n').length, 1, 'one line')
  t.match(stderr, /PORT/)
})
