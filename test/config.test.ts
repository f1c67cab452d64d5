// Configuration: defaults, validation with one clear line per bad variable, and the server refusing to start on one.
import { spawn } from 'node:child_process'
import t from 'tap'
import { ConfigError, ENV_VARIABLES, loadConfig, type Config } from '../src/config.ts'

t.test('defaults give a runnable development configuration', async (t) => {
  const config = loadConfig({})
  t.equal(config.port, 3000)
  t.equal(config.host, '0.0.0.0')
  t.equal(config.databaseUrl, undefined, 'no DATABASE_URL means the embedded server')
  t.same(config.pool, {
    maxTenants: 50,
    maxConnectionsPerTenant: 2,
    idleTimeoutSeconds: 30,
    connectTimeoutSeconds: 5,
    drainTimeoutSeconds: 10,
  })
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

// Values that used to pass validation and then switched a feature off, overflowed a timer or leaked a password.
const MAX_TIMER_MS = 2 ** 31 - 1
const SECRET = 'SeCrEt'

const outOfRange: Array<[Record<string, string>, RegExp]> = [
  [{ RATE_LIMIT_WINDOW: '0.5' }, /^RATE_LIMIT_WINDOW must be a duration from 1 second/],
  [{ LOGIN_RATE_LIMIT_WINDOW: '0.9' }, /^LOGIN_RATE_LIMIT_WINDOW must be a duration from 1 second/],
  [{ RATE_LIMIT_WINDOW: '100000000000000000000000' }, /^RATE_LIMIT_WINDOW must be a duration from 1 second to 24 days/],
  [{ RATE_LIMIT_WINDOW: '30 days' }, /^RATE_LIMIT_WINDOW must be a duration from 1 second to 24 days/],
  [{ POOL_IDLE_TIMEOUT_SECONDS: '3000000' }, /^POOL_IDLE_TIMEOUT_SECONDS must be <= 86400$/],
  [{ RATE_LIMIT_MAX: '1e309' }, /^RATE_LIMIT_MAX must be integer$/],
  [{ TENANT_CACHE_TTL_SECONDS: 'Infinity' }, /^TENANT_CACHE_TTL_SECONDS must be number$/],
  [{ PORT: '0x10' }, /^PORT must be integer$/],
  [{ DATABASE_URL: `postgres://u:${SECRET}@db.example.com:99999/tenancy` }, /^DATABASE_URL port must be from 1 to 65535$/],
  [{ DATABASE_URL: `postgres://u:${SECRET}@db.example.com:0/tenancy` }, /^DATABASE_URL port must be from 1 to 65535$/],
  [{ DATABASE_URL: `postgres://u:${SECRET}@[bad/db` }, /^DATABASE_URL must be a postgres:\/\/ URL/],
  [{ DATABASE_URL: `postgres://u:${SECRET}@db.example.com:5432/` }, /^DATABASE_URL must name a database/],
  [{ DATABASE_URL: `postgres://u:${SECRET}@db.example.com:5432` }, /^DATABASE_URL must name a database/],
  [{ DATABASE_URL: `postgresql://u:${SECRET}@/tenancy` }, /^DATABASE_URL must/],
  [{ DATABASE_URL: `postgres://u:${SECRET}%zz@db.example.com/tenancy` }, /^DATABASE_URL user and password must be percent-encoded$/],
  [{ REDIS_URL: `redis://:${SECRET}@[bad` }, /^REDIS_URL must be a redis:\/\//],
  [{ REDIS_URL: `redis://:${SECRET}@cache.example.com:99999` }, /^REDIS_URL port must be from 1 to 65535$/],
  [{ REDIS_URL: `redis://:${SECRET}@cache.example.com:6379/first` }, /^REDIS_URL database must be a number/],
]

for (const [env, message] of outOfRange) {
  t.test(`rejects ${JSON.stringify(env).replace(SECRET, '***')}`, async (t) => {
    const error = t.throws(() => loadConfig(env), { name: 'ConfigError', message }) as Error
    t.notMatch(error.message, SECRET, 'the password is not in the message')
  })
}

t.test('a blank value is unset, never a zero', async (t) => {
  const config = loadConfig({ POOL_DRAIN_TIMEOUT_SECONDS: ' ', TENANT_CACHE_TTL_SECONDS: '\t', PORT: ' ' })
  t.equal(config.pool.drainTimeoutSeconds, 10)
  t.equal(config.tenantCacheTtlSeconds, 5)
  t.equal(config.port, 3000)
})

t.test('valid URLs and durations pass unchanged', async (t) => {
  const databaseUrl = 'postgresql://admin:p%40ss@[::1]:6543/tenancy?sslmode=require'
  const config = loadConfig({ DATABASE_URL: databaseUrl, REDIS_URL: 'rediss://:pw@cache.example.com:6380/2', RATE_LIMIT_WINDOW: '24 days', LOGIN_RATE_LIMIT_WINDOW: '1s' })
  t.equal(config.databaseUrl, databaseUrl)
  t.equal(config.redisUrl, 'rediss://:pw@cache.example.com:6380/2')
  t.equal(config.rateLimit.windowMs, 24 * 24 * 3600 * 1000)
  t.equal(config.loginRateLimit.windowMs, 1000)
})

// Every variable the schema knows, fed values that are blank, negative, huge, infinite, not a number, fractional, in
// another base, or a URL carrying a password: loadConfig either refuses with one line naming the variable (never
// the value) or gives a configuration that does what its numbers say.
const HOSTILE = [
  '', ' ', '\t', '0', '-0', '-1', '0.5', '0.9', '1.5', '1e3', '1e23', '100000000000000000000000', '3000000', '2147484',
  '1e309', '-1e309', 'NaN', 'Infinity', '0x10', 'abc', '3 fortnights', '-5 minutes', '9'.repeat(400),
  `postgres://u:${SECRET}@[bad/db`, `postgres://u:${SECRET}@db.example.com:99999/db`, `postgres://u:${SECRET}@db.example.com:0/db`,
  `postgres://u:${SECRET}@db.example.com/`, `postgres://u:${SECRET}%zz@db.example.com/db`, `postgresql://u:${SECRET}@/db`,
  `redis://:${SECRET}@[bad`, `redis://:${SECRET}@cache.example.com:99999`, `rediss://u:${SECRET}@cache.example.com:6379/x`,
  `redis://:${SECRET}@/0`,
]

/** Zero is a setting of its own here, not a feature switched off: an OS-chosen port, no drain grace, no tenant cache. */
const ZERO_MEANS_SOMETHING = new Set(['port', 'pool.drainTimeoutSeconds', 'tenantCacheTtlSeconds'])

function leaves (value: unknown, path = ''): Array<[string, unknown]> {
  if (value === null || typeof value !== 'object') return [[path, value]]
  return Object.entries(value).flatMap(([key, inner]) => leaves(inner, path === '' ? key : `${path}.${key}`))
}

function problemsWith (config: Config): string[] {
  const problems: string[] = []
  for (const [path, value] of leaves(config)) {
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) problems.push(`${path} is ${value}`)
      else if (value < 0 || (value === 0 && !ZERO_MEANS_SOMETHING.has(path))) problems.push(`${path} is ${value}`)
      else if (/Ms$/.test(path) && (!Number.isInteger(value) || value > MAX_TIMER_MS)) problems.push(`${path} (${value}) is not a timer's whole milliseconds`)
      else if (/Seconds$/.test(path) && value * 1000 > MAX_TIMER_MS) problems.push(`${path} (${value}) overflows a timer`)
    }
    if (typeof value === 'string' && /Url$/.test(path)) {
      let url: URL | undefined
      try { url = new URL(value) } catch {}
      if (url === undefined) problems.push(`${path} does not parse`)
      else if (url.hostname === '' || (url.port !== '' && (Number(url.port) < 1 || Number(url.port) > 65535))) problems.push(`${path} names no usable host and port`)
      else if (path === 'databaseUrl' && url.pathname.length <= 1) problems.push(`${path} names no database`)
    }
  }
  return problems
}

/** What is wrong with loading `name=value`, if anything. */
function sweep (name: string, value: string): string[] {
  let config: Config
  try {
    config = loadConfig({ [name]: value })
  } catch (error) {
    const message = (error as Error).message
    const problems: string[] = []
    if (!(error instanceof ConfigError)) problems.push(`threw ${(error as Error).name}, not a ConfigError`)
    if (!message.includes(name)) problems.push(`the message does not name ${name}: ${message}`)
    if (message.includes(SECRET) || (value.trim().length >= 4 && message.includes(value))) problems.push(`the message shows the value: ${message}`)
    if (message.includes('\n')) problems.push('the message is more than one line')
    return problems
  }
  return problemsWith(config)
}

for (const name of ENV_VARIABLES) {
  t.test(`${name}: hostile values are refused in one line naming it, or give a configuration that works as it reads`, async (t) => {
    const problems = HOSTILE.flatMap((value) => sweep(name, value).map((problem) => `${name}=${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}: ${problem}`))
    t.same(problems, [])
  })
}

t.test('the sweep sees the whole schema', async (t) => {
  t.ok(ENV_VARIABLES.length > 20 && ENV_VARIABLES.includes('DATABASE_URL') && ENV_VARIABLES.includes('REDIS_URL'))
})

t.test('the server refuses a malformed DATABASE_URL in one line, without its password', async (t) => {
  const { code, stderr } = await new Promise<{ code: number | null, stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env: { ...process.env, DATABASE_URL: `postgres://u:${SECRET}@[bad/db`, JWT_SECRET: 'x'.repeat(32), TENANT_DB_SECRET: 'y'.repeat(32) } })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.on('exit', (code) => { resolve({ code, stderr }) })
  })
  t.equal(code, 1)
  t.equal(stderr.trim().split('\n').length, 1, `one line: ${stderr}`)
  t.match(stderr, /^tenancy: invalid configuration: DATABASE_URL /)
  t.notMatch(stderr, SECRET)
})
