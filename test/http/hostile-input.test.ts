// Property-based: random and hostile params, query strings, headers and bodies at every tenant-scoped route never
// produce a 5xx or a non-problem error, and never touch the other tenant's data.
import fc from 'fast-check'
import t from 'tap'
import { bearer } from '../helpers/app.ts'
import { exampleOf, isolationFixture, urlsFor } from '../helpers/tenant-fixture.ts'

const RUNS_PER_ROUTE = 30

const hostileStrings = fc.constantFrom(
  "' or 1=1 --", '"; drop table notes; --', '../../etc/passwd', '%00', '\u0000', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'a'.repeat(5000),
  '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'null', '[]', '{}', '-1', '1e309', 'NaN',
)

t.test('hostile input at every tenant route: 2xx or problem+json 4xx, never 5xx, and A is untouched', async (t) => {
  const { app, b, aIds, snapshotA } = await isolationFixture(t)
  const before = await snapshotA()
  let requests = 0
  for (const route of app.tenantRoutes) {
    const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), hostileStrings, fc.uuid(), fc.constantFrom(...aIds))
    const validBody = route.schema?.body === undefined ? undefined : exampleOf(route.schema.body) as Record<string, unknown>
    const body = fc.oneof(
      fc.anything(),
      fc.jsonValue(),
      fc.dictionary(fc.string(), fc.jsonValue()),
      // Mostly valid bodies with one field replaced: the handlers see these, not only the validator.
      validBody === undefined ? fc.constant(undefined) : fc.record({ key: fc.constantFrom(...Object.keys(validBody), 'extra'), value: fc.jsonValue() }).map(({ key, value }) => ({ ...validBody, [key]: value })),
    )
    const query = fc.dictionary(fc.oneof(fc.constantFrom('limit', 'cursor', 'category_id'), fc.string()), fc.oneof(text, fc.integer().map(String)), { maxKeys: 3 })
    const xTenant = fc.option(fc.oneof(fc.constant(b.slug), text), { nil: undefined })

    await fc.assert(fc.asyncProperty(text, query, body, xTenant, async (param, queryValues, payload, tenantHeader) => {
      const [url] = urlsFor(route, [param]) as [string]
      const search = new URLSearchParams(queryValues).toString()
      const headers: Record<string, string> = { ...bearer(b.token), 'content-type': 'application/json' }
      if (tenantHeader !== undefined) headers['x-tenant'] = tenantHeader
      requests++
      const response = await app.inject({
        method: route.method,
        url: search === '' ? url : `${url}?${search}`,
        headers,
        ...(['POST', 'PATCH', 'PUT'].includes(route.method) && payload !== undefined && { payload: JSON.stringify(payload) ?? '' }),
      })
      if (response.statusCode >= 500) throw new Error(`${route.method} ${url}: ${response.statusCode} ${response.body.slice(0, 200)}`)
      if (response.statusCode >= 400 && !String(response.headers['content-type']).startsWith('application/problem+json')) {
        throw new Error(`${route.method} ${url}: ${response.statusCode} is not problem+json`)
      }
    }), { numRuns: RUNS_PER_ROUTE })
  }
  t.ok(requests >= app.tenantRoutes.length * RUNS_PER_ROUTE, `${requests} hostile requests over ${app.tenantRoutes.length} routes`)
  t.same(await snapshotA(), before, "A's data is unchanged")
})
