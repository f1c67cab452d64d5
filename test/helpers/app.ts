// Builds the real application against a fresh master database and removes everything it made when the test ends.
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { bootstrapPlatformAdmin } from '../../src/auth/bootstrap-admin.ts'
import { loadConfig } from '../../src/config.ts'
import { buildApp } from '../../src/http/app.ts'
import { templateNameFor } from '../../src/lifecycle/template.ts'
import { createRuntime, type Runtime, type RuntimeConfig, type RuntimeOptions } from '../../src/runtime.ts'
import { createDatabase, withAdmin } from './database.ts'

interface Teardown { teardown (fn: () => unknown): void }

export type TestApp = FastifyInstance & { masterDatabaseName: string }

export function testConfig (databaseUrl: string, env: Record<string, string> = {}): RuntimeConfig {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env })
  return {
    ...config,
    databaseUrl,
    jwtSecret: config.jwtSecret ?? randomBytes(32).toString('hex'),
    tenantDbSecret: config.tenantDbSecret ?? randomBytes(32).toString('hex'),
  }
}

/** Rewrites the master URL the runtime is given (e.g. to go through a test/helpers/wire-proxy.ts proxy). */
type Via = (url: string) => string

/** A runtime on a fresh master database of the test server, closed and removed (tenants too) when the test ends. */
export async function buildTestRuntime (
  t: Teardown, env: Record<string, string> = {}, options: RuntimeOptions = {}, via: Via = (url) => url,
): Promise<Runtime & { masterDatabaseName: string }> {
  const master = await createDatabase('master')
  t.teardown(async () => {
    await dropTenantsOf(master.name)
    await master.drop()
    await withAdmin((sql) => sql`drop database if exists ${sql(templateNameFor(master.name))} with (force)`)
  })
  const runtime = await createRuntime(testConfig(via(master.url), env), options)
  t.teardown(() => runtime.close())
  return Object.assign(runtime, { masterDatabaseName: master.name })
}

/** The real HTTP application on a test runtime. */
export async function buildTestApp (
  t: Teardown, env: Record<string, string> = {}, options: RuntimeOptions = {}, via?: Via,
): Promise<TestApp> {
  const runtime = await buildTestRuntime(t, env, options, via)
  // Requests are logged only when the test gives the runtime a logger.
  const app = await buildApp(runtime, options.log === undefined ? { logger: false } : {})
  t.teardown(() => app.close())
  return Object.assign(app, { masterDatabaseName: runtime.masterDatabaseName })
}

/** Another instance on the same master database as `app` (its configuration, or changed by `env`): a second process. */
export async function buildAnotherApp (
  t: Teardown, app: FastifyInstance, env: Record<string, string> = {}, options: RuntimeOptions = {},
): Promise<TestApp> {
  const config = Object.keys(env).length === 0
    ? app.config
    : { ...testConfig(app.config.databaseUrl, env), jwtSecret: app.config.jwtSecret, tenantDbSecret: app.config.tenantDbSecret }
  const runtime = await createRuntime(config, options)
  t.teardown(() => runtime.close())
  const another = await buildApp(runtime, { logger: false })
  t.teardown(() => another.close())
  return Object.assign(another, { masterDatabaseName: (app as TestApp).masterDatabaseName })
}

/** Tenant databases and roles live on the server, outside the master database: remove the ones this master made. */
async function dropTenantsOf (masterName: string): Promise<void> {
  const slugs = await withAdmin(async (sql) => (await sql<{ slug: string }[]>`select slug from tenants`).map((row) => row.slug), masterName).catch(() => [])
  await withAdmin(async (sql) => {
    for (const slug of slugs) {
      await sql`drop database if exists ${sql(`tenant_${slug}`)} with (force)`
      await sql`drop role if exists ${sql(`tenant_${slug}`)}`
    }
  })
}

export const STRONG_PASSWORD = 'a sturdy passphrase 42'

export async function login (app: FastifyInstance, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: body, headers })
  return { response, tokens: response.json() as { access_token: string, refresh_token: string } }
}

export async function adminToken (app: FastifyInstance): Promise<string> {
  const email = 'root@platform.test'
  await bootstrapPlatformAdmin(app.runtime.master.users, { email, password: STRONG_PASSWORD })
  const { response, tokens } = await login(app, { email, password: STRONG_PASSWORD })
  if (response.statusCode !== 200) throw new Error(`admin login failed: ${response.body}`)
  return tokens.access_token
}

export function randomSlug (prefix = 't'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`
}

export interface TestTenant {
  slug: string
  ownerEmail: string
  token: string
  refreshToken: string
}

export async function createTenant (app: FastifyInstance, admin: string, slug = randomSlug()): Promise<TestTenant> {
  const ownerEmail = `owner@${slug}.test`
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/tenants',
    headers: { authorization: `Bearer ${admin}` },
    payload: { slug, name: `Tenant ${slug}`, owner: { email: ownerEmail, password: STRONG_PASSWORD } },
  })
  if (created.statusCode !== 201) throw new Error(`tenant creation failed: ${created.statusCode} ${created.body}`)
  const { response, tokens } = await login(app, { email: ownerEmail, password: STRONG_PASSWORD, tenant: slug })
  if (response.statusCode !== 200) throw new Error(`owner login failed: ${response.body}`)
  return { slug, ownerEmail, token: tokens.access_token, refreshToken: tokens.refresh_token }
}

export function bearer (token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` }
}
