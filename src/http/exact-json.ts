// Answers sent as JSON.stringify writes them rather than through their response schema, for the pages of notes.
import type { FastifyReply } from 'fastify'
import type { Static, TSchema } from 'typebox'

/**
 * Sends `body`, typed by the route's response schema, as JSON.stringify writes it. Only for answers whose every object
 * is built field by field from the schema (noteResponse and its like), so that they hold exactly what the schema
 * declares: there is nothing for it to strip (test/http/response-shapes.test.ts checks every route's answers against
 * their schemas, extra fields refused). The reason is speed on the hottest routes: on Node 20, fast-json-stringify
 * escapes short strings in a JavaScript loop and builds a rope that is copied again to be sent; JSON.stringify writes
 * a page of 20 notes in about two thirds of the time and garbage (README: where the time goes). Errors still go
 * through the problem schema.
 */
export function sendExact<T extends TSchema> (reply: FastifyReply, _schema: T, body: Static<T>): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(body))
}
