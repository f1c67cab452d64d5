// A request's deadline on the performance.now() clock: REQUEST_TIMEOUT after it arrived. Waits inside the request (for
// a pool slot, for a turn to change a tenant) end there, as Fastify's handlerTimeout ends the request itself.
import type { FastifyReply } from 'fastify'

export function deadlineOf (reply: FastifyReply): number {
  return performance.now() + reply.server.config.requestTimeoutMs - reply.elapsedTime
}
