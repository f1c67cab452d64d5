// The HTTP face of the runtime: buildApp(runtime) makes the Fastify application. The server, the tests and the benches
// all start here; the runtime's owner closes it after the app.
import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { RuntimeConfig, Runtime } from '../runtime.ts'
import { problemFor, problemFrom } from './schemas/problem.ts'
import { buildValidator } from '../validation.ts'
import { deferredChildLogger } from './request-logger.ts'
import problemDetails from './plugins/problem-details.ts'
import docs from './plugins/docs.ts'
import metrics from './plugins/metrics.ts'
import auth from './plugins/auth.ts'
import rateLimit from './plugins/rate-limit.ts'
import healthRoutes from './routes/health.ts'
import authRoutes from './routes/auth.ts'
import meRoutes from './routes/me.ts'
import serverRoutes from './routes/servers.ts'
import tenantRoutes from './routes/tenants.ts'
import tenantScope from './tenant-scope/index.ts'

declare module 'fastify' {
  interface FastifyInstance {
    runtime: Runtime
    config: RuntimeConfig
  }
}

export interface BuildAppOptions {
  /** false for no request logging (tests, benches); by default the runtime's logger. */
  logger?: false
}

const BODY_LIMIT_BYTES = 1024 * 1024

export async function buildApp (runtime: Runtime, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    // A request's logger becomes a pino child only if the request logs (request-logger.ts).
    ...(options.logger === false ? {} : { loggerInstance: runtime.log as FastifyBaseLogger, childLoggerFactory: deferredChildLogger }),
    bodyLimit: BODY_LIMIT_BYTES,
    // Ours, always: an id a client chose could pose as another request's in the logs.
    genReqId: () => randomUUID(),
    trustProxy: trustProxy(runtime.config.trustProxy),
    return503OnClosing: true,
    // Every request is answered within REQUEST_TIMEOUT (503 with Retry-After past it), whatever it waits on.
    handlerTimeout: runtime.config.requestTimeoutMs,
    // Errors Fastify raises before routing (a malformed URL, an over-long path parameter) bypass the error handler.
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      const problem = { ...problemFrom(error), detail: error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path parameter is too long' : 'The URL is malformed' }
      return reply.code(problem.status).type('application/problem+json').send(problem)
    },
    // A request Node cannot parse (a NUL in a header, both Content-Length and Transfer-Encoding...) never reaches Fastify.
    clientErrorHandler,
    forceCloseConnections: 'idle',
    // Unknown body fields are ignored, not stripped; schemas that must refuse them say additionalProperties: false.
    // Bodies are not coerced; every string must be text and every number finite (see validation.ts).
    schemaController: { compilersFactory: { buildValidator: buildValidator() } },
  }).withTypeProvider<TypeBoxTypeProvider>()

  // JSON in and out: any other body is a 415, not a string that fails validation later.
  app.removeContentTypeParser('text/plain')
  app.decorate('runtime', runtime)
  app.decorate('config', runtime.config)
  await app.register(problemDetails)
  await app.register(auth)
  // Before any route, /docs and /metrics included: the limiter covers every route registered after it.
  await app.register(rateLimit)
  await app.register(docs)
  await app.register(metrics)

  await app.register(healthRoutes)
  await app.register(authRoutes, { prefix: '/api/v1/auth' })
  await app.register(meRoutes, { prefix: '/api/v1/users' })
  await app.register(tenantRoutes, { prefix: '/api/v1/tenants' })
  await app.register(serverRoutes, { prefix: '/api/v1/servers' })
  app.decorate('tenantRoutes', [])
  await app.register(tenantScope, { prefix: '/api/v1' })
  return app
}

/**
 * Fastify's `trustProxy`, except that a hop count trusts that many nearest hops (Fastify 5 refuses counts outright, as a
 * direct client could spoof them: a count is right only when every request comes through that many proxies).
 */
function trustProxy (setting: RuntimeConfig['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof setting === 'number' ? (_address, hop) => hop < setting : setting
}

/**
 * Answers what Node's HTTP parser rejects with a problem document, as every other error is answered (Fastify's default
 * writes its own JSON). The parser cannot go on after such an error, so the connection is closed.
 */
function clientErrorHandler (this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const [status, code, detail] = error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? [408, 'REQUEST_TIMEOUT', 'The request was not received in time']
    : error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', 'The request headers are too large']
      : [400, 'MALFORMED_REQUEST', 'The request is not valid HTTP']
  this.log.trace({ err: error }, 'client error')
  if (socket.writable) {
    const problem = JSON.stringify({ ...problemFor(status, code), detail })
    const head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/problem+json\r\n` +
      `Content-Length: ${Buffer.byteLength(problem)}\r\nConnection: close\r\n\r\n`
    socket.write(head + problem)
  }
  socket.destroy()
}
