// The process logger (pino, Fastify's own), shared by the runtime and the HTTP app, and kept free of secrets: headers
// and fields that carry credentials are redacted, and failed queries are logged without their parameters.
import { DrizzleQueryError } from 'drizzle-orm'
import { pino, stdSerializers, type DestinationStream, type Logger, type SerializedError } from 'pino'

export type { Logger } from 'pino'

export function createLogger (level: string, destination?: DestinationStream): Logger {
  return pino({
    level,
    redact: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.refresh_token', '*.access_token'],
    serializers: { err: serializeError },
  }, destination)
}

/**
 * drizzle puts every query parameter (password hashes, tokens) into its error message, so a failed query is logged as
 * its SQL text and the driver's own error only.
 */

export function serializeError (error: Error): SerializedError {
  if (error instanceof DrizzleQueryError) {
    const cause = error.cause instanceof Error ? stdSerializers.err(error.cause) : undefined
    // No `raw`: it would carry the parameters straight back in.
    const safe: Record<string, unknown> = { type: 'DrizzleQueryError', message: `Failed query: ${error.query}`, stack: cause?.stack ?? '', query: error.query, cause }
    return safe as unknown as SerializedError
  }
  const serialized = stdSerializers.err(error)
  // stdSerializers.err folds the cause chain into the message and stack; rebuild the cause safely instead.
  if (error.cause instanceof DrizzleQueryError) {
    const safe: Record<string, unknown> = { ...serialized, message: error.message, stack: error.stack ?? '', cause: serializeError(error.cause) }
    return safe as unknown as SerializedError
  }
  return serialized
}
