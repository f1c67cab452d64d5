// The tenant-scoped subtree. Registered WITHOUT fastify-plugin: `request.tenant` and `request.tenantData` exist only
// for the routes below, so no platform route can reach a tenant database by accident.
import type { FastifyPluginAsync, FastifySchema, HTTPMethods } from 'fastify'
import type { TenantLease } from '../../connections/tenant-connection-manager.ts'
import { ForbiddenError, UnauthorizedError } from '../../errors.ts'
import type { TenantLocation } from '../../master/tenants-repository.ts'
import { isPoolBroken } from '../../postgres-errors.ts'
import { deadlineOf } from '../deadline.ts'
import type { TenantRepositories } from '../../tenant-database/repositories.ts'
import categoryRoutes from './categories.ts'
import noteRoutes from './notes.ts'
import tenantUserRoutes from './users.ts'

export interface TenantRoute {
  method: HTTPMethods
  url: string
  schema: FastifySchema | undefined
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route of the tenant subtree, as registered (decorated on the root by buildApp): what the isolation tests sweep. */
    tenantRoutes: TenantRoute[]
  }
  interface FastifyRequest {
    /** Set by the tenant hook: the caller's tenant, active. Only inside the tenant subtree. */
    tenant: TenantLocation
    /** Set for routes of the tenant database subtree: the tenant's own database, as the tenant's role. */
    tenantData: TenantRepositories
    tenantLease: TenantLease | null
    /** While the route's handler runs: its queries may outlast the reply (the request deadline answers first). */
    tenantHandlerRunning: boolean
  }
}

const tenantScope: FastifyPluginAsync = async (app) => {
  const { directory } = app.runtime
  app.decorateRequest('tenant', null as unknown as TenantLocation)
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) app.tenantRoutes.push({ method, url: route.url, schema: route.schema })
  })

  // Before validation: a caller without a valid tenant learns nothing about the route, not even its schema.
  app.addHook('preValidation', async (request) => {
    const claims = app.authenticate(request)
    if (claims.tid === undefined) throw new ForbiddenError('This route is for users of a tenant')
    const named = request.headers['x-tenant']
    if (named !== undefined && named !== claims.tid) throw new ForbiddenError('X-Tenant does not match the tenant of the token')
    const tenant = await directory.serving(claims.tid)
    // The slug may have been recycled since the token was issued: only the id says it is the same tenant.
    if (tenant.id !== claims.tenant_id) throw new UnauthorizedError()
    request.tenant = tenant
    request.log = request.log.child({ tenant: tenant.slug })
  })

  await app.register(tenantUserRoutes, { prefix: '/users' })
  await app.register(tenantDatabaseScope)
}

/** Routes that read or write the tenant's own database hold a lease on its pool for the whole request. */
const tenantDatabaseScope: FastifyPluginAsync = async (app) => {
  const { connections, directory } = app.runtime
  app.decorateRequest('tenantData', null as unknown as TenantRepositories)
  app.decorateRequest('tenantLease', null)
  app.decorateRequest('tenantHandlerRunning', false)

  app.addHook('preHandler', async (request, reply) => {
    // Waiting for a pool slot ends with the request's own deadline.
    const lease = await connections.lease(request.tenant, deadlineOf(reply))
    // Answered meanwhile (the deadline came first): no handler will run to end the lease.
    if (reply.sent) return lease.release()
    // The pool is found by slug. While this request waited for it, the tenant its token names may have been deleted and
    // the slug given to a new tenant: the pool is then the new tenant's database, and the token is refused as a
    // recycled slug's is before the wait.
    if (lease.connection.tenantId !== request.tenant.id) {
      lease.release()
      throw new UnauthorizedError()
    }
    request.tenantLease = lease
    request.tenantData = lease.connection.repositories
  })
  // The lease ends when the request's database work has ended, whatever became of the client or the reply: when its
  // handler has settled (its queries are done), or, for a request answered before its handler ran, when it is
  // answered. At the request deadline the 503 goes out while the handler's query may still run (until its own
  // statement_timeout): the lease is held until then, so that the pool is not counted idle, closed or given away under
  // it. onSend runs for every reply (the handler's, the error handler's, the deadline's), and Fastify sends one even to
  // a client that has gone away, where onResponse would not run at all. Release is idempotent.
  // A server that has stopped answering never ends the query (statement_timeout is the server's own), so the lease is
  // held at most until REQUEST_TIMEOUT past the request's deadline, the longest a statement begun before it runs; the
  // pool can then be closed like any other, which ends the query.
  const { requestTimeoutMs } = app.runtime.config
  app.addHook('onRoute', (route) => {
    const handler = route.handler
    route.handler = async function (request, reply) {
      request.tenantHandlerRunning = true
      const lease = request.tenantLease
      const cap = setTimeout(releaseLease, deadlineOf(reply) - performance.now() + requestTimeoutMs, lease)
      cap.unref()
      try {
        return await handler.call(this, request, reply)
      } finally {
        clearTimeout(cap)
        request.tenantHandlerRunning = false
        lease?.release()
      }
    }
  })
  app.addHook('onSend', (request, _reply, payload, done) => {
    if (!request.tenantHandlerRunning) request.tenantLease?.release()
    done(null, payload)
  })
  // A pool that lost its connection (its database dropped by another instance or by hand, its server restarted) is
  // closed at once, and the tenant looked up afresh: the next request gets a fresh pool, or a 404 for a deleted tenant.
  app.addHook('onError', async (request, _reply, error) => {
    if (request.tenantLease === null || !isPoolBroken(error)) return
    connections.evictBroken(request.tenantLease.connection)
    directory.invalidate(request.tenant.slug)
  })

  await app.register(categoryRoutes, { prefix: '/categories' })
  await app.register(noteRoutes, { prefix: '/notes' })
}

function releaseLease (lease: TenantLease | null): void {
  lease?.release()
}

export default tenantScope
