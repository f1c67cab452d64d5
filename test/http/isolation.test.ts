// The isolation sweep: every tenant-scoped route, taken from the app's own route table, attacked from tenant B and
// from nowhere, must never show, change or reveal tenant A's data. A route added later is swept without editing this file.
import { createHmac } from 'node:crypto'
import t from 'tap'
import { bearer } from '../helpers/app.ts'
import { exampleOf, isolationFixture, urlsFor } from '../helpers/tenant-fixture.ts'

const MIN_ROUTES = 10

t.test('no tenant-scoped route lets tenant B see, change or learn of tenant A\'s data', async (t) => {
  const { app, a, b, aIds, aMarkers, snapshotA } = await isolationFixture(t)
  const routes = app.tenantRoutes
  t.ok(routes.length >= MIN_ROUTES, `the sweep covers ${routes.length} routes`)
  const before = await snapshotA()

  const forged = (() => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub: aIds[3], tid: a.slug, role: 'owner', jti: 'forged', exp: Math.floor(Date.now() / 1000) + 600 })}`
    return `${unsigned}.${createHmac('sha256', 'not-the-servers-secret-but-32-chars-long').update(unsigned).digest('base64url')}`
  })()

  let requests = 0
  for (const route of routes) {
    const payload = route.schema?.body === undefined ? undefined : exampleOf(route.schema.body)
    for (const url of urlsFor(route, aIds)) {
      const send = (headers: Record<string, string>) => {
        requests++
        return app.inject({ method: route.method, url, headers, ...(payload !== undefined && { payload: payload as object }) })
      }
      const label = `${route.method} ${url}`
      const asB = await send(bearer(b.token))
      t.ok(asB.statusCode < 500, `${label} as B: no 5xx (${asB.statusCode})`)
      if (url !== route.url) t.ok(asB.statusCode >= 400, `${label} as B with A's id: never a success (${asB.statusCode})`)
      if (url !== route.url && route.method === 'GET') t.equal(asB.statusCode, 404, `${label} as B: A's row does not exist for B`)
      for (const marker of aMarkers) if (asB.body.includes(marker)) t.fail(`${label} as B revealed A's ${marker}`)

      t.equal((await send({ ...bearer(b.token), 'x-tenant': a.slug })).statusCode, 403, `${label}: B's token naming A in X-Tenant`)
      t.equal((await send({ ...bearer(a.token), 'x-tenant': b.slug })).statusCode, 403, `${label}: A's token naming B in X-Tenant`)
      t.equal((await send({})).statusCode, 401, `${label}: no token`)
      t.equal((await send(bearer(forged))).statusCode, 401, `${label}: a token for A signed with another key`)
    }
  }
  t.ok(requests > routes.length * 5, `${requests} requests sent`)
  t.same(await snapshotA(), before, "A's rows, in A's database and in the master, are unchanged")
})
