// Every error, Fastify's own included, is answered as application/problem+json with the RFC 7807 members.
import t, { type Test } from 'tap'
import { Type } from 'typebox'
import { buildTestApp } from './helpers/app.ts'

async function appWithEchoRoute (t: Parameters<typeof buildTestApp>[0]) {
  const app = await buildTestApp(t)
  app.post('/echo', { schema: { body: Type.Object({ name: Type.String({ minLength: 1 }) }) } }, async (request) => request.body)
  app.get('/boom', async () => { throw new Error('secret internals: password=hunter2') })
  return app
}

function assertProblem (t: Test, response: { statusCode: number, headers: Record<string, unknown>, json: () => unknown }, status: number) {
  t.equal(response.statusCode, status)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  t.match(response.json(), { type: String, title: String, status, detail: String })
}

t.test('unknown route: 404', async (t) => {
  const app = await appWithEchoRoute(t)
  assertProblem(t, await app.inject({ method: 'GET', url: '/no/such/route' }), 404)
})

t.test('schema failure: 400 with errors', async (t) => {
  const app = await appWithEchoRoute(t)
  const response = await app.inject({ method: 'POST', url: '/echo', payload: { name: '' } })
  assertProblem(t, response, 400)
  t.match(response.json(), { errors: [{ location: 'body', path: '/name', message: String }] })
})

t.test('malformed JSON: 400', async (t) => {
  const app = await appWithEchoRoute(t)
  const response = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"name":' })
  assertProblem(t, response, 400)
})

t.test('non-JSON body: 415', async (t) => {
  const app = await appWithEchoRoute(t)
  assertProblem(t, await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'text/plain' }, payload: 'name=x' }), 415)
})

t.test('body over 1 MiB: 413', async (t) => {
  const app = await appWithEchoRoute(t)
  const payload = JSON.stringify({ name: 'x'.repeat(1024 * 1024) })
  assertProblem(t, await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload }), 413)
})

t.test('an unexpected error: 500 without its message', async (t) => {
  const app = await appWithEchoRoute(t)
  const response = await app.inject({ method: 'GET', url: '/boom' })
  assertProblem(t, response, 500)
  t.notMatch(response.body, 'hunter2')
  t.notMatch(response.body, 'secret internals')
})

t.test('an over-long path parameter: 414 as a problem, not Fastify\'s plain JSON', async (t) => {
  const app = await appWithEchoRoute(t)
  app.get('/things/:id', async () => ({}))
  const response = await app.inject({ method: 'GET', url: `/things/${'a'.repeat(500)}` })
  assertProblem(t, response, 414)
  t.notMatch(response.body, 'aaaaaaaaaa', 'the input is not echoed')
})

t.test('a number that overflows to Infinity is a 400, not a 500 (ajv-validator/ajv#2212)', async (t) => {
  const app = await appWithEchoRoute(t)
  const { ListQuery } = await import('../src/http/schemas/common.ts')
  app.get('/list', { schema: { querystring: ListQuery } }, async (request) => request.query)
  for (const limit of ['1e309', '-1e309', 'Infinity']) assertProblem(t, await app.inject({ method: 'GET', url: `/list?limit=${limit}` }), 400)
  t.same((await app.inject({ method: 'GET', url: '/list?limit=7' })).json(), { limit: 7 })
})
