// Prometheus metrics on /metrics: HTTP, process, the tenant pool manager and provisioning, in one registry per app.
import fp from 'fastify-plugin'
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { UnauthorizedError } from '../../errors.ts'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ReturnType<typeof createMetrics>
  }
}

function createMetrics () {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    poolOpenSeconds: new Histogram({
      name: 'tenant_pool_open_seconds',
      help: 'Time to open a tenant pool (connect and first query)',
      buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
    provisioningSeconds: new Histogram({
      name: 'tenant_provisioning_seconds',
      help: 'Time to provision a tenant, by result',
      labelNames: ['result'] as const,
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    tenantsProvisioned: new Counter({
      name: 'tenants_provisioned_total',
      help: 'Tenant provisionings, by result',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  }
}

export default fp(async function metrics (app) {
  const metrics = createMetrics()
  app.decorate('metrics', metrics)

  app.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration.observe({
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status_code: reply.statusCode,
    }, reply.elapsedTime / 1000)
  })

  app.get('/metrics', {
    schema: { tags: ['health'], summary: 'Prometheus metrics', produces: ['text/plain'], hide: false },
  }, async (request, reply) => {
    const token = app.config.metricsToken
    if (token !== undefined && request.headers.authorization !== `Bearer ${token}`) throw new UnauthorizedError()
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  })
}, { name: 'metrics', dependencies: ['config'] })
