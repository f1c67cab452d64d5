// The adversarial sweep of input: every string field of every route (from the app's own OpenAPI document, so a route
// added later is covered) gets NUL, lone surrogates, one character too many and the wrong JSON type; every list gets
// impossible cursors. Each is a 400 problem; nothing is written.
import t from 'tap'
import { encodeCursor } from '../../src/pagination.ts'
import { adminToken, bearer, buildTestApp, createTenant } from '../helpers/app.ts'
import { bodyRoutes, exampleFor, stringFields, withField } from '../helpers/route-bodies.ts'

const LIMITS = { RATE_LIMIT_MAX: '100000', LOGIN_RATE_LIMIT_MAX: '100000' }

/** Everything a hostile request could have changed in the master. */
async function masterSnapshot (app: Awaited<ReturnType<typeof buildTestApp>>) {
  const { sql } = app.runtime.master
  return {
    tenants: await sql`select id, slug, name, status, updated_at from tenants order by id`,
    users: await sql`select id, email, name, role, password_hash, token_version, updated_at from users order by id`,
    sessions: await sql`select count(*)::int as n from refresh_tokens`,
  }
}
const MIN_BODY_ROUTES = 12

/** The string field at `path` of a schema: its own definition (the string branch of a nullable one). */
function fieldSchema (schema: Record<string, unknown>, path: string[]): Record<string, unknown> {
  let node = schema
  for (const key of path) node = (node.properties as Record<string, Record<string, unknown>>)[key] as Record<string, unknown>
  const options = node.anyOf as Array<Record<string, unknown>> | undefined
  return options?.find((option) => option.type === 'string') ?? node
}

t.test('NUL, a lone surrogate or one character too many, in any string field of any route: a 400 problem, nothing written', async (t) => {
  const app = await buildTestApp(t, LIMITS)
  await app.ready()
  const routes = await bodyRoutes(app)
  t.ok(routes.length >= MIN_BODY_ROUTES, `${routes.length} routes with a body, from the app's OpenAPI document`)
  const before = await masterSnapshot(app)
  for (const route of routes) {
    for (const field of stringFields(route.schema)) {
      const valid = exampleFor(route.schema)
      const value = String(field.reduce((object: any, key) => object[key], valid) ?? 'x')
      const own = fieldSchema(route.schema, field)
      const { maxLength } = own
      const chosen = own.format !== undefined || own.const !== undefined || Array.isArray(own.enum)
      t.ok(typeof maxLength === 'number' || chosen, `${route.method} ${route.url}: ${field.join('.')} is bounded (a maximum length, a format or a set of values)`)
      const hostile: Array<[string, string]> = [
        ['NUL', `${value.slice(0, 1)}\u0000${value.slice(1)}`],
        ['a lone surrogate', `${value.slice(0, 1)}\ud800${value.slice(1)}`],
        ...(typeof maxLength === 'number' ? [['one character too many', value.padEnd(maxLength + 1, 'x')] as [string, string]] : []),
      ]
      for (const [label, bad] of hostile) {
        const payload = withField(valid, field, bad) as object
        const response = await app.inject({ method: route.method, url: route.url, headers: route.headers, payload })
        const type = String(response.headers['content-type'])
        t.ok(response.statusCode === 400 && type.startsWith('application/problem+json'),
          `${route.method} ${route.url} with ${label} in ${field.join('.')}: 400 problem+json (got ${response.statusCode} ${type})`)
      }
    }
  }
  t.same(await masterSnapshot(app), before, 'no tenant, user or session was made or changed')
})

t.test('a number or a boolean where a string is expected is a 400, not coerced', async (t) => {
  const app = await buildTestApp(t, LIMITS)
  await app.ready()
  const tenant = await createTenant(app, await adminToken(app))
  const note = await app.inject({ method: 'POST', url: '/api/v1/notes', headers: bearer(tenant.token), payload: { title: 12 } })
  t.equal(note.statusCode, 400, `POST /api/v1/notes {"title": 12} is a 400 (got ${note.statusCode}: ${note.body.slice(0, 120)})`)

  for (const route of await bodyRoutes(app)) {
    for (const field of stringFields(route.schema)) {
      for (const wrong of [12, true]) {
        const payload = withField(exampleFor(route.schema), field, wrong) as object
        const response = await app.inject({ method: route.method, url: route.url, headers: route.headers, payload })
        t.equal(response.statusCode, 400, `${route.method} ${route.url} with ${field.join('.')} = ${JSON.stringify(wrong)}: 400 (got ${response.statusCode})`)
      }
    }
  }
})

t.test('a cursor naming an impossible date is a 400 on every list', async (t) => {
  const app = await buildTestApp(t, LIMITS)
  await app.ready()
  const admin = await adminToken(app)
  const tenant = await createTenant(app, admin)
  const doc = app.swagger() as { paths: Record<string, Record<string, { parameters?: Array<{ name: string, in: string }> }>> }
  const lists = Object.entries(doc.paths).filter(([, operations]) => operations.get?.parameters?.some((p) => p.name === 'cursor' && p.in === 'query')).map(([path]) => path)
  t.ok(lists.length >= 4, `${lists.length} paginated lists: ${lists.join(', ')}`)
  for (const at of ['2024-02-30T00:00:00.000000Z', '0000-01-01T00:00:00.000000Z']) {
    const cursor = encodeCursor({ at, id: '00000000-0000-4000-8000-000000000000' })
    for (const path of lists) {
      const headers = bearer(path.startsWith('/api/v1/tenants') ? admin : tenant.token)
      const response = await app.inject({ method: 'GET', url: `${path}?cursor=${cursor}`, headers })
      t.equal(response.statusCode, 400, `GET ${path} with a cursor at ${at}: 400 (got ${response.statusCode})`)
    }
  }
})
