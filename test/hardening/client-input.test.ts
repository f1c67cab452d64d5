// Proves that hostile client input (NUL characters, wrongly typed JSON, impossible cursor dates) is a 400 problem, never a 5xx or a coerced write.
import t from 'tap'
import { encodeCursor } from '../../src/pagination.ts'
import { adminToken, bearer, buildTestApp, createTenant } from '../helpers/app.ts'
import { bodyRoutes, exampleFor, stringFields, withField } from '../helpers/route-bodies.ts'

const LIMITS = { RATE_LIMIT_MAX: '100000', LOGIN_RATE_LIMIT_MAX: '100000' }
const MIN_BODY_ROUTES = 12

t.test('a NUL character in any string field of any route\'s body is a 400 problem', async (t) => {
  const app = await buildTestApp(t, LIMITS)
  await app.ready()
  const routes = await bodyRoutes(app)
  t.ok(routes.length >= MIN_BODY_ROUTES, `${routes.length} routes with a body, from the app's OpenAPI document`)
  for (const route of routes) {
    for (const field of stringFields(route.schema)) {
      const valid = exampleFor(route.schema)
      const value = String(field.reduce((object: any, key) => object[key], valid) ?? 'x')
      const payload = withField(valid, field, `${value.slice(0, 1)}\u0000${value.slice(1)}`) as object
      const response = await app.inject({ method: route.method, url: route.url, headers: route.headers, payload })
      const type = String(response.headers['content-type'])
      t.ok(response.statusCode === 400 && type.startsWith('application/problem+json'),
        `${route.method} ${route.url} with NUL in ${field.join('.')}: 400 problem+json (got ${response.statusCode} ${type})`)
    }
  }
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
