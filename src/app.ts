// The root plugin: builds the Fastify application from a resolved configuration. The server, the tests and the benches all start here.
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify'
import fp from 'fastify-plugin'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { ResolvedConfig } from './config.ts'
import { finiteNumbers } from './http/finite-numbers.ts'
import { serializeError } from './log-serializers.ts'
import { problemFrom } from './http/problem.ts'
import problemDetails from './http/plugins/problem-details.ts'
import masterDatabase from './http/plugins/master-database.ts'
import docs from './http/plugins/docs.ts'
import metrics from './http/plugins/metrics.ts'
import auth from './http/plugins/auth.ts'
import rateLimit from './http/plugins/rate-limit.ts'
import tenantConnections from './http/plugins/tenant-connections.ts'
import provisioning, { type ProvisioningPluginOptions } from './http/plugins/provisioning.ts'
import healthRoutes from './http/routes/health.ts'
import authRoutes from './http/routes/auth.ts'
import meRoutes from './http/routes/me.ts'
import tenantRoutes from './http/routes/tenants.ts'
import tenantScope from './http/tenant-scope/index.ts'

declare module 'fastify' {
  interface FastifyInstance {
    config: ResolvedConfig
  }
}

export interface BuildAppOptions {
  /** false for no logging (tests), or pino options over the defaults. */
  logger?: false | Record<string, unknown>
  provisioning?: ProvisioningPluginOptions
}

const BODY_LIMIT_BYTES = 1024 * 1024

export async function buildApp (config: ResolvedConfig, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger === false ? false : {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.refresh_token', '*.access_token'],
      ...(typeof options.logger === 'object' && options.logger),
      serializers: { err: serializeError },
    },
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: (request) => {
      const given = request.headers['x-request-id']
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID()
    },
    return503OnClosing: true,
    // Errors Fastify raises before routing (a malformed URL, an over-long path parameter) bypass the error handler.
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      const problem = { ...problemFrom(error), detail: error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path parameter is too long' : 'The URL is malformed' }
      return reply.code(problem.status).type('application/problem+json').send(problem)
    },
    forceCloseConnections: 'idle',
    // Unknown body fields are ignored, not stripped; schemas that must refuse them say additionalProperties: false.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false }, plugins: [finiteNumbers] },
  }).withTypeProvider<TypeBoxTypeProvider>()

  // JSON in and out: any other body is a 415, not a string that fails validation later.
  app.removeContentTypeParser('text/plain')
  app.decorate('config', config)
  await app.register(fp(async () => {}, { name: 'config' }))
  await app.register(problemDetails)
  await app.register(docs)
  await app.register(metrics)
  await app.register(masterDatabase)
  await app.register(auth)
  await app.register(rateLimit)
  await app.register(tenantConnections)
  await app.register(provisioning, options.provisioning ?? {})

  await app.register(healthRoutes)
  await app.register(authRoutes, { prefix: '/api/v1/auth' })
  await app.register(meRoutes, { prefix: '/api/v1/users' })
  await app.register(tenantRoutes, { prefix: '/api/v1/tenants' })
  app.decorate('tenantRoutes', [])
  await app.register(tenantScope, { prefix: '/api/v1' })
  return app
}
