// Proves /metrics and /docs are rate-limited like every route, and /metrics without METRICS_TOKEN answers only loopback.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../helpers/app.ts'

const TOKEN = 'a-metrics-token-of-32-characters'

async function codes (app: FastifyInstance, url: string, headers: Record<string, string> = {}): Promise<number[]> {
  const result = []
  for (let i = 0; i < 6; i++) result.push((await app.inject({ method: 'GET', url, headers })).statusCode)
  return result
}

t.test('RATE_LIMIT_MAX=5: the 6th /metrics from loopback is a 429', async (t) => {
  const app = await buildTestApp(t, { RATE_LIMIT_MAX: '5' })
  t.same(await codes(app, '/metrics'), [200, 200, 200, 200, 200, 429])
})

t.test('RATE_LIMIT_MAX=5: the 6th /metrics with the METRICS_TOKEN is a 429', async (t) => {
  const app = await buildTestApp(t, { RATE_LIMIT_MAX: '5', METRICS_TOKEN: TOKEN })
  t.same(await codes(app, '/metrics', { authorization: `Bearer ${TOKEN}` }), [200, 200, 200, 200, 200, 429])
})

t.test('RATE_LIMIT_MAX=5: the 6th /docs/json is a 429', async (t) => {
  const app = await buildTestApp(t, { RATE_LIMIT_MAX: '5' })
  t.same(await codes(app, '/docs/json'), [200, 200, 200, 200, 200, 429])
})

t.test('without METRICS_TOKEN, /metrics answers loopback only', async (t) => {
  const app = await buildTestApp(t)
  const remote = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.7' })
  t.ok([401, 403, 404].includes(remote.statusCode), `from 203.0.113.7: refused (got ${remote.statusCode})`)
  t.notMatch(remote.body, /process_cpu|http_request_duration/, 'no metrics in the body')
  const local = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '127.0.0.1' })
  t.equal(local.statusCode, 200, 'from 127.0.0.1: served')
})
