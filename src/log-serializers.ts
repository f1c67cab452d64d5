// Log serializers that keep secrets out of logs: drizzle puts every query parameter (password hashes, tokens)
// into its error message, so a failed query is logged as its SQL text and the driver's own error only.
import { DrizzleQueryError } from 'drizzle-orm'
import { stdSerializers, type SerializedError } from 'pino'

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
