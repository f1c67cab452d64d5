// Reads the environment once, validates it, and returns the typed configuration every other module takes.
import { isIP } from 'node:net'
import { envSchema } from 'env-schema'
import { parse as parseDuration } from '@lukeed/ms'
import { Type, type Static } from 'typebox'

// A Node timer holds at most 2^31-1 ms (about 24.8 days) and fires at once when given more, so no duration or timeout
// here may exceed it: rate-limit windows stop at 24 days, and the seconds below have maxima far under that.
const MAX_DURATION_MS = 24 * 24 * 60 * 60 * 1000
// Under a second, @fastify/rate-limit truncates a window to 0 ms, which lets every request through.
const MIN_WINDOW_MS = 1000
// A request deadline: long enough for a cold tenant's first request under load, short enough that nothing hangs.
const MIN_REQUEST_TIMEOUT_MS = 500
const MAX_REQUEST_TIMEOUT_MS = 10 * 60 * 1000

const EnvSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], { default: 'development' }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)), { default: 'info' }),
  DATABASE_URL: Type.Optional(Type.String()),
  DATA_DIR: Type.String({ minLength: 1, default: '.data' }),
  EMBEDDED_POSTGRES_PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 54329 }),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  TENANT_DB_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 30, maximum: 86400, default: 900 }),
  REFRESH_TOKEN_TTL_DAYS: Type.Integer({ minimum: 1, maximum: 365, default: 30 }),
  ADMIN_EMAIL: Type.Optional(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', description: 'an email address' })),
  ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 10 })),
  POOL_MAX_TENANTS: Type.Integer({ minimum: 1, maximum: 100000, default: 50 }),
  POOL_MAX_CONNECTIONS_PER_TENANT: Type.Integer({ minimum: 1, maximum: 100, default: 2 }),
  POOL_IDLE_TIMEOUT_SECONDS: Type.Integer({ minimum: 1, maximum: 86400, default: 30 }),
  POOL_CONNECT_TIMEOUT_SECONDS: Type.Integer({ minimum: 1, maximum: 300, default: 5 }),
  POOL_DRAIN_TIMEOUT_SECONDS: Type.Integer({ minimum: 0, maximum: 300, default: 10 }),
  TENANT_CACHE_TTL_SECONDS: Type.Number({ minimum: 0, maximum: 3600, default: 5 }),
  MIGRATE_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 64, default: 4 }),
  RATE_LIMIT_MAX: Type.Integer({ minimum: 1, maximum: 1_000_000_000, default: 1000 }),
  RATE_LIMIT_WINDOW: Type.String({ default: '1 minute' }),
  LOGIN_RATE_LIMIT_MAX: Type.Integer({ minimum: 1, maximum: 1_000_000_000, default: 10 }),
  LOGIN_RATE_LIMIT_WINDOW: Type.String({ default: '15 minutes' }),
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  REQUEST_TIMEOUT: Type.String({ default: '5s' }),
  TRUST_PROXY: Type.Optional(Type.String({ minLength: 1 })),
  REDIS_URL: Type.Optional(Type.String()),
})

/** Every variable the configuration reads. */
export const ENV_VARIABLES: readonly string[] = Object.keys(EnvSchema.properties)

export interface PoolConfig {
  maxTenants: number
  maxConnectionsPerTenant: number
  idleTimeoutSeconds: number
  connectTimeoutSeconds: number
  drainTimeoutSeconds: number
}

export interface RateLimitConfig {
  max: number
  windowMs: number
}

export interface Config {
  env: 'development' | 'production' | 'test'
  host: string
  port: number
  logLevel: string
  /** The master database; undefined means "start the embedded PostgreSQL". */
  databaseUrl: string | undefined
  dataDir: string
  embeddedPostgresPort: number
  /** Undefined only outside production, until `ensureSecrets` fills them from the data directory. */
  jwtSecret: string | undefined
  tenantDbSecret: string | undefined
  accessTokenTtlSeconds: number
  refreshTokenTtlDays: number
  admin: { email: string | undefined, password: string | undefined }
  pool: PoolConfig
  tenantCacheTtlSeconds: number
  migrateConcurrency: number
  rateLimit: RateLimitConfig
  loginRateLimit: RateLimitConfig
  metricsToken: string | undefined
  redisUrl: string | undefined
  /** Every request is answered within this: waiting for a pool slot, connecting and the statement included. */
  requestTimeoutMs: number
  /** Fastify's `trustProxy`: which peers may name the client's address (X-Forwarded-For). */
  trustProxy: boolean | number | string[]
}

/** A configuration whose secrets are known: what the server, CLI and tests run with. */
export type ResolvedConfig = Config & { jwtSecret: string, tenantDbSecret: string }

export class ConfigError extends Error {
  override name = 'ConfigError'
}

export function loadConfig (env: NodeJS.ProcessEnv = process.env): Config {
  const raw = validate(env)
  const config: Config = {
    env: raw.NODE_ENV,
    host: raw.HOST,
    port: raw.PORT,
    logLevel: raw.LOG_LEVEL,
    databaseUrl: raw.DATABASE_URL === undefined ? undefined : postgresUrl('DATABASE_URL', raw.DATABASE_URL),
    dataDir: raw.DATA_DIR,
    embeddedPostgresPort: raw.EMBEDDED_POSTGRES_PORT,
    jwtSecret: raw.JWT_SECRET,
    tenantDbSecret: raw.TENANT_DB_SECRET,
    accessTokenTtlSeconds: raw.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlDays: raw.REFRESH_TOKEN_TTL_DAYS,
    admin: { email: raw.ADMIN_EMAIL?.toLowerCase(), password: raw.ADMIN_PASSWORD },
    pool: {
      maxTenants: raw.POOL_MAX_TENANTS,
      maxConnectionsPerTenant: raw.POOL_MAX_CONNECTIONS_PER_TENANT,
      idleTimeoutSeconds: raw.POOL_IDLE_TIMEOUT_SECONDS,
      connectTimeoutSeconds: raw.POOL_CONNECT_TIMEOUT_SECONDS,
      drainTimeoutSeconds: raw.POOL_DRAIN_TIMEOUT_SECONDS,
    },
    tenantCacheTtlSeconds: raw.TENANT_CACHE_TTL_SECONDS,
    migrateConcurrency: raw.MIGRATE_CONCURRENCY,
    rateLimit: { max: raw.RATE_LIMIT_MAX, windowMs: rateWindow('RATE_LIMIT_WINDOW', raw.RATE_LIMIT_WINDOW) },
    loginRateLimit: { max: raw.LOGIN_RATE_LIMIT_MAX, windowMs: rateWindow('LOGIN_RATE_LIMIT_WINDOW', raw.LOGIN_RATE_LIMIT_WINDOW) },
    metricsToken: raw.METRICS_TOKEN,
    redisUrl: raw.REDIS_URL === undefined ? undefined : redisUrl('REDIS_URL', raw.REDIS_URL),
    requestTimeoutMs: duration('REQUEST_TIMEOUT', raw.REQUEST_TIMEOUT, MIN_REQUEST_TIMEOUT_MS, MAX_REQUEST_TIMEOUT_MS),
    trustProxy: trustProxy(raw.TRUST_PROXY),
  }
  if (config.env === 'production') {
    for (const [name, value] of [['JWT_SECRET', config.jwtSecret], ['TENANT_DB_SECRET', config.tenantDbSecret]] as const) {
      if (value === undefined) throw new ConfigError(`${name} is required when NODE_ENV=production`)
    }
  }
  if ((config.admin.email === undefined) !== (config.admin.password === undefined)) {
    throw new ConfigError('ADMIN_EMAIL and ADMIN_PASSWORD must be set together')
  }
  return config
}

type RawEnv = Static<typeof EnvSchema>

// Compiled once: env-schema sets additionalProperties on the schema it is given, and ajv caches by schema object.
const SCHEMA = structuredClone(EnvSchema)
const NUMERALS = { integer: /^\s*[+-]?\d+\s*$/, number: /^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$/ }

function validate (env: NodeJS.ProcessEnv): RawEnv {
  // Only the variables we know are validated; a blank value counts as unset, as shells make that easy to do by
  // accident (and ajv would read " " as the number 0).
  const data: Record<string, string | number> = {}
  for (const [key, schema] of Object.entries(EnvSchema.properties) as Array<[string, { type?: string }]>) {
    const value = env[key]
    if (value === undefined || value.trim() === '') continue
    // Numbers are plain decimals, converted here: ajv's own coercion reads "0x10" as 16 and lets "1e309" through
    // as Infinity, past its own maximum. Given a number, ajv refuses Infinity as not an integer.
    const numeral = NUMERALS[schema.type as keyof typeof NUMERALS]
    if (numeral !== undefined && !numeral.test(value)) throw new ConfigError(`${key} must be ${schema.type}`)
    data[key] = numeral === undefined ? value : Number(value)
  }
  try {
    return envSchema<RawEnv>({ schema: SCHEMA, data, env: false })
  } catch (error) {
    throw new ConfigError(describe(error))
  }
}

interface AjvIssue {
  instancePath?: string
  message?: string
  params?: { missingProperty?: string, allowedValues?: unknown[] }
  keyword?: string
}

/** One line naming the first offending variable and the rule it breaks; never its value, which may be a secret. */
function describe (error: unknown): string {
  const issues = (error as { errors?: AjvIssue[] }).errors ?? []
  const issue = issues.find((candidate) => candidate.instancePath !== '' && candidate.keyword !== 'anyOf') ?? issues[0]
  if (issue === undefined) return String((error as Error).message)
  const name = (issue.instancePath ?? '').replace(/^\//, '') || issue.params?.missingProperty || 'environment'
  const allowed = issues.filter((candidate) => candidate.instancePath === issue.instancePath && candidate.keyword === 'const')
    .map((candidate) => (candidate.params as { allowedValue?: unknown } | undefined)?.allowedValue)
  if (allowed.length > 0) return `${name} must be one of: ${allowed.join(', ')}`
  const description = (EnvSchema.properties as Record<string, { description?: string }>)[name]?.description
  if (issue.keyword === 'pattern' && description !== undefined) return `${name} must be ${description}`
  return `${name} ${issue.message ?? 'is invalid'}`
}

/** A rate-limit window in whole milliseconds: "1 minute", "30s", "1.5 hours" or a number of milliseconds. */
function rateWindow (name: string, value: string): number {
  return duration(name, value, MIN_WINDOW_MS, MAX_DURATION_MS)
}

/** A duration in whole milliseconds within [min, max]: "1 minute", "30s", "1.5 hours" or a number of milliseconds. */
function duration (name: string, value: string, min: number, max: number): number {
  const trimmed = value.trim()
  const parsed = /^\d+$/.test(trimmed) ? Number(trimmed) : parseDuration(trimmed)
  const ms = parsed === undefined ? Number.NaN : Math.round(parsed)
  if (!(ms >= min && ms <= max)) throw new ConfigError(`${name} must be a duration from ${describeMs(min)} to ${describeMs(max)}, such as "1 minute", "30s" or a number of milliseconds`)
  return ms
}

function describeMs (ms: number): string {
  return ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${ms / 1000} second${ms === 1000 ? '' : 's'}` : ms < 86_400_000 ? `${ms / 60_000} minutes` : `${ms / 86_400_000} days`
}

/** TRUST_PROXY: unset or "false" trusts no proxy; "true" trusts every peer; a number counts hops; else addresses. */
function trustProxy (value: string | undefined): boolean | number | string[] {
  const rule = 'must be false, true, a hop count from 1 to 32, or a comma-separated list of addresses or CIDR ranges'
  const trimmed = value?.trim().toLowerCase()
  if (trimmed === undefined || trimmed === 'false') return false
  if (trimmed === 'true') return true
  if (/^\d+$/.test(trimmed)) {
    const hops = Number(trimmed)
    if (hops < 1 || hops > 32) throw new ConfigError(`TRUST_PROXY ${rule}`)
    return hops
  }
  const addresses = trimmed.split(',').map((entry) => entry.trim())
  if (addresses.some((entry) => !/^[0-9a-f.:]+(\/\d{1,3})?$/.test(entry) || isIP(entry.split('/')[0] as string) === 0)) {
    throw new ConfigError(`TRUST_PROXY ${rule}`)
  }
  return addresses
}

/**
 * A URL is checked here rather than where it is used: a client that cannot parse it throws an error carrying the
 * whole URL, password included. Messages name the variable and the rule, never the value.
 */
function parseServerUrl (name: string, value: string, protocols: [string, ...string[]], example: string): URL {
  const kind = `a ${protocols[0]}// URL such as ${example}`
  let url: URL
  try {
    url = new URL(value)
  } catch {
    // WHATWG refuses a port over 65535 outright; say so rather than call the whole URL malformed.
    const port = /^[a-z][a-z0-9+.-]*:\/\/(?:[^/?#]*@)?(?:\[[^\]/?#]*\]|[^:/?#]*):([^/?#]*)/i.exec(value)?.[1]
    if (port !== undefined && /^\d+$/.test(port) && !validPort(port)) throw new ConfigError(`${name} port must be from 1 to 65535`)
    throw new ConfigError(`${name} must be ${kind}`)
  }
  if (!protocols.includes(url.protocol)) throw new ConfigError(`${name} must be ${kind}`)
  if (url.hostname === '') throw new ConfigError(`${name} must name a host, as in ${example}`)
  if (url.port !== '' && !validPort(url.port)) throw new ConfigError(`${name} port must be from 1 to 65535`)
  try {
    decodeURIComponent(url.username)
    decodeURIComponent(url.password)
  } catch {
    throw new ConfigError(`${name} user and password must be percent-encoded`)
  }
  return url
}

function validPort (port: string): boolean {
  return /^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535
}

function postgresUrl (name: string, value: string): string {
  const example = 'postgres://user:password@host:5432/tenancy'
  const url = parseServerUrl(name, value, ['postgres:', 'postgresql:'], example)
  let database = ''
  try {
    database = decodeURIComponent(url.pathname.slice(1))
  } catch {}
  if (database === '' || database.includes('/')) throw new ConfigError(`${name} must name a database, as in ${example}`)
  return value
}

function redisUrl (name: string, value: string): string {
  const example = 'redis://:password@host:6379/0'
  const url = parseServerUrl(name, value, ['redis:', 'rediss:'], example)
  if (!/^\/?(\d+)?$/.test(url.pathname)) throw new ConfigError(`${name} database must be a number, as in ${example}`)
  return value
}
