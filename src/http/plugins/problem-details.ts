// Turns every error, ours and Fastify's own (404, 400, 413, 415, 429), into an application/problem+json response.
import fp from 'fastify-plugin'
import { RETRY_AFTER_SECONDS } from '../../errors.ts'
import { Problem, problemFor, problemFrom } from '../schemas/problem.ts'

export default fp(async function problemDetails (app) {
  app.addSchema(Problem)

  app.setErrorHandler((error, request, reply) => {
    const problem = problemFrom(error as Parameters<typeof problemFrom>[0])
    if (problem.status >= 500) {
      request.log.error({ err: error }, 'request failed')
    } else {
      request.log.info({ code: (error as { code?: string }).code, status: problem.status }, problem.detail)
    }
    if (problem.status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', RETRY_AFTER_SECONDS)
    return reply.code(problem.status).type('application/problem+json').send(problem)
  })

  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).type('application/problem+json').send({
      ...problemFor(404, 'ROUTE_NOT_FOUND'),
      detail: `No route ${request.method} ${request.url.split('?')[0]}`,
    })
  })
}, { name: 'problem-details' })
