// Builds the real application against a fresh master database and removes everything it made when the test ends.
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { buildApp, type BuildAppOptions } from '../../src/app.ts'
import { bootstrapPlatformAdmin } from '../../src/auth/bootstrap-admin.ts'
import { loadConfig, type ResolvedConfig } from '../../src/config.ts'
import { templateNameFor } from '../../src/provisioning/template.ts'
import { createDatabase, withAdmin } from './database.ts'

interface Teardown { teardown (fn: () => unknown): void }

export type TestApp = FastifyInstance & { masterDatabaseName: string }

export function testConfig (databaseUrl: string, env: Record<string, string> = {}): ResolvedConfig {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env })
  return {
    ...config,
    databaseUrl,
    jwtSecret: config.jwtSecret ?? randomBytes(32).toString('hex'),
    tenantDbSecret: config.tenantDbSecret ?? randomBytes(32).toString('hex'),
  }
}

export async function buildTestApp (t: Teardown, env: Record<string, string> = {}, options: BuildAppOptions = {}): Promise<TestApp> {
  const master = await createDatabase('master')
  t.teardown(async () => {
    await dropTenantsOf(master.name)
    await master.drop()
    await withAdmin((sql) => sql`drop database if exists ${sql(templateNameFor(master.name))} with (force)`)
  })
  const app = await buildApp(testConfig(master.url, env), { logger: false, ...options })
  t.teardown(() => app.close())
  return Object.assign(app, { masterDatabaseName: master.name })
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
  await bootstrapPlatformAdmin(app.master.db, { email, password: STRONG_PASSWORD })
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
