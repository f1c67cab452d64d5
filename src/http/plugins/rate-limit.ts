// Request rate limits: per tenant on tenant-scoped traffic, per client address otherwise; shared through Redis when configured.
import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import { Redis } from 'ioredis'
import { clientAddress } from '../client-address.ts'
import { redisStoreWithFallback } from '../rate-limit-store.ts'

const NAMESPACE = 'tenancy:rate-limit:'

export default fp(async function rateLimits (app) {
  const { config } = app
  const redis = config.redisUrl === undefined
    ? undefined
    // Fail fast rather than queue: a request never waits on an unreachable Redis for more than commandTimeout.
    : new Redis(config.redisUrl, { connectTimeout: 2000, commandTimeout: 500, maxRetriesPerRequest: 1, enableOfflineQueue: false })
  if (redis !== undefined) app.addHook('onClose', () => { redis.disconnect() })

  await app.register(rateLimit, {
    global: true,
    max: config.rateLimit.max,
    timeWindow: config.rateLimit.windowMs,
    ...(redis === undefined ? {} : { store: redisStoreWithFallback(redis, NAMESPACE, app.log) }),
    // Keyed by the *verified* tenant, so one tenant cannot spend another's budget by naming it.
    keyGenerator: (request) => {
      try {
        const claims = app.authenticate(request)
        if (claims.tenant_id !== undefined) return `tenant:${claims.tenant_id}`
      } catch {}
      return `address:${clientAddress(request.ip)}`
    },
    errorResponseBuilder: (_request, context) => ({
      statusCode: context.statusCode,
      code: 'RATE_LIMITED',
      message: `Rate limit exceeded; retry in ${context.after}`,
    }),
  })
}, { name: 'rate-limit', dependencies: ['auth'] })
