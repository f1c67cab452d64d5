// Two tenants, A with recognisable data, and the tools to attack A from B across every tenant route.
import { randomBytes, randomUUID } from 'node:crypto'
import type { TenantRoute } from '../../src/http/tenant-scope/index.ts'
import { adminToken, bearer, buildTestApp, createTenant, type TestApp, type TestTenant } from './app.ts'
import { withAdmin } from './database.ts'

interface Teardown { teardown (fn: () => unknown): void }

export interface IsolationFixture {
  app: TestApp
  a: TestTenant
  b: TestTenant
  /** A's row ids, what B will aim at. */
  aIds: string[]
  /** Strings only A's data contains: none may appear in a response to B. */
  aMarkers: string[]
  /** Everything of A's, read straight from A's database and the master: compared before and after. */
  snapshotA (): Promise<unknown>
}

export async function isolationFixture (t: Teardown, env: Record<string, string> = {}): Promise<IsolationFixture> {
  const app = await buildTestApp(t, { RATE_LIMIT_MAX: '100000', ...env })
  const admin = await adminToken(app)
  const a = await createTenant(app, admin)
  const b = await createTenant(app, admin)
  const tag = randomBytes(4).toString('hex')
  const category = (await app.inject({ method: 'POST', url: '/api/v1/categories', headers: bearer(a.token), payload: { name: `a-secret-category-${tag}` } })).json() as { id: string }
  const note = (await app.inject({ method: 'POST', url: '/api/v1/notes', headers: bearer(a.token), payload: { title: `a-secret-note-${tag}`, content: `a-secret-content-${tag}`, category_id: category.id } })).json() as { id: string }
  const member = (await app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(a.token), payload: { email: `a-member-${tag}@a.test`, password: 'member passphrase 9', name: `a-secret-name-${tag}` } })).json() as { id: string }
  const owner = (await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(a.token) })).json() as { id: string }
  return {
    app,
    a,
    b,
    aIds: [category.id, note.id, member.id, owner.id],
    aMarkers: [tag, category.id, note.id, member.id, owner.id, a.ownerEmail],
    snapshotA: async () => ({
      data: await withAdmin(async (sql) => ({
        categories: await sql`select id, name, updated_at from categories order by id`,
        notes: await sql`select id, title, content, category_id, updated_at from notes order by id`,
      }), `tenant_${a.slug}`),
      users: await app.runtime.master.sql`select u.id, u.email, u.name, u.role, u.password_hash, u.updated_at from users u join tenants t on t.id = u.tenant_id where t.slug = ${a.slug} order by u.id`,
    }),
  }
}

/** A minimal instance of a JSON schema: enough to get past validation so the handler itself is exercised. */
export function exampleOf (schema: unknown): unknown {
  const s = (schema ?? {}) as Record<string, unknown>
  if ('const' in s) return s.const
  if (Array.isArray(s.anyOf)) return exampleOf((s.anyOf as Array<Record<string, unknown>>).find((option) => option.type !== 'null') ?? s.anyOf[0])
  switch (s.type) {
    case 'object': {
      const properties = (s.properties ?? {}) as Record<string, unknown>
      return Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, exampleOf(value)]))
    }
    case 'array': return []
    case 'integer':
    case 'number': return typeof s.minimum === 'number' ? s.minimum : 1
    case 'boolean': return true
    case 'string':
      if (s.format === 'uuid') return randomUUID()
      if (s.format === 'date-time') return new Date().toISOString()
      if (typeof s.pattern === 'string' && s.pattern.includes('@')) return `sweep${randomBytes(3).toString('hex')}@example.test`
      return 'Isolation-check-9f2'
    default: return null
  }
}

/** Every way of filling a route's path parameters with `values`. */
export function urlsFor (route: TenantRoute, values: string[]): string[] {
  const params = route.url.match(/:\w+/g) ?? []
  if (params.length === 0) return [route.url]
  return values.map((value) => params.reduce((url, param) => url.replace(param, encodeURIComponent(value)), route.url))
}
