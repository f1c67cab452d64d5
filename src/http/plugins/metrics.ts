// Prometheus metrics on /metrics: the runtime's (pools, provisioning), HTTP's and the process's, in one registry. Served
// to loopback only, or to whoever presents METRICS_TOKEN.
import fp from 'fastify-plugin'
import { Histogram, collectDefaultMetrics } from 'prom-client'
import { createHash, timingSafeEqual } from 'node:crypto'
import { ForbiddenError, UnauthorizedError } from '../../errors.ts'

export default fp(async function metrics (app) {
  const { registry } = app.runtime.metrics
  collectDefaultMetrics({ register: registry })
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })

  // One child per method, route and status, made on first use: prom-client would otherwise check and hash the labels
  // on every request.
  const durations = new Map<string, Histogram.Internal<'method' | 'route' | 'status_code'>>()
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched'
    const key = `${request.method} ${reply.statusCode} ${route}`
    let duration = durations.get(key)
    if (duration === undefined) {
      duration = httpDuration.labels({ method: request.method, route, status_code: reply.statusCode })
      durations.set(key, duration)
    }
    duration.observe(reply.elapsedTime / 1000)
    done()
  })

  app.get('/metrics', {
    schema: { tags: ['health'], summary: 'Prometheus metrics', produces: ['text/plain'], hide: false },
  }, async (request, reply) => {
    const token = app.config.metricsToken
    if (token === undefined) {
      if (!isLoopback(request.ip)) throw new ForbiddenError('Metrics are served to loopback only; set METRICS_TOKEN to scrape from elsewhere')
    } else if (!sameSecret(request.headers.authorization ?? '', `Bearer ${token}`)) {
      throw new UnauthorizedError()
    }
    return reply.type(registry.contentType).send(await registry.metrics())
  })
}, { name: 'metrics' })

function isLoopback (ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.')
}

/** Compares in constant time (hashes first, so the lengths match too). */
function sameSecret (given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest()
  return timingSafeEqual(digest(given), digest(expected))
}
