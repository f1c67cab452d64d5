// Every route's answer, as sent, holds exactly what its response schema declares: no field more (the schema would
// have stripped it, except where a route writes its answer itself: src/http/exact-json.ts), none missing, none of
// another type. Swept over the app's own OpenAPI document, so a route added later is covered.
import { Ajv } from 'ajv'
import t from 'tap'
import { buildTestApp } from '../helpers/app.ts'
import { everyRoute } from '../helpers/route-bodies.ts'

type Schema = Record<string, unknown>

/** The schema with `additionalProperties: false` on every object that does not say otherwise. */
function strict (schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict)
  if (schema === null || typeof schema !== 'object') return schema
  const copy = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, key === 'properties'
    ? Object.fromEntries(Object.entries(value as Schema).map(([name, property]) => [name, strict(property)]))
    : strict(value)]))
  if (copy.type === 'object' && copy.additionalProperties === undefined) copy.additionalProperties = false
  return copy
}

t.test('every GET answers exactly the fields its 200 schema declares', async (t) => {
  const app = await buildTestApp(t, { RATE_LIMIT_MAX: '100000' })
  await app.ready()
  type Operation = { responses: Record<string, { content?: Record<string, { schema: Schema }> }> }
  const doc = app.swagger() as unknown as { paths: Record<string, Record<string, Operation>> }
  // OpenAPI 3.0's `nullable` is ajv's too; formats are checked by the routes' own tests.
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false })
  const routes = (await everyRoute(app)).filter((route) => route.method === 'GET' && route.headers.authorization !== undefined)
  // A note in the category the sweep reads, so that its embedded notes are checked too.
  const category = routes.find((route) => /^\/api\/v1\/categories\/[0-9a-f-]{36}$/.test(route.url))
  if (category !== undefined) {
    const payload = { title: 'in the category', content: 'text', category_id: category.url.split('/').pop() }
    t.equal((await app.inject({ method: 'POST', url: '/api/v1/notes', headers: category.headers, payload })).statusCode, 201)
  }
  const checked: string[] = []
  for (const route of routes) {
    const response = await app.inject({ method: 'GET', url: route.url, headers: route.headers })
    if (response.statusCode !== 200 || !String(response.headers['content-type']).startsWith('application/json')) continue
    const path = Object.keys(doc.paths).find((candidate) => new RegExp(`^${candidate.replace(/\{\w+\}/g, '[^/]+')}$`).test(route.url.split('?')[0] as string))
    const schema = path === undefined ? undefined : doc.paths[path]?.get?.responses['200']?.content?.['application/json']?.schema
    if (schema === undefined) {
      t.fail(`${route.url}: no 200 schema in the OpenAPI document`)
      continue
    }
    const validate = ajv.compile(strict(schema) as Schema)
    t.ok(validate(response.json()), `GET ${route.url} matches its schema exactly: ${ajv.errorsText(validate.errors)}`)
    checked.push(route.url)
  }
  // The routes that write their own answers must be among those checked, with notes in them.
  t.ok(checked.some((url) => url.startsWith('/api/v1/notes')), 'the notes list was checked')
  t.ok(category !== undefined && checked.includes(category.url), 'a category with a note in it was checked')
  t.ok(checked.length >= 8, `${checked.length} routes checked`)
})
