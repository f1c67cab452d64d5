// SQLSTATE codes the application handles, and how to read one through drizzle's wrapping of driver errors.

export const UNIQUE_VIOLATION = '23505'
export const FOREIGN_KEY_VIOLATION = '23503'
/** The template database is being accessed by other users. */
export const OBJECT_IN_USE = '55006'
export const DUPLICATE_DATABASE = '42P04'

/** drizzle wraps postgres.js errors (DrizzleQueryError); the SQLSTATE is on the error or its cause. */
export function sqlState (error: unknown): string | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 3 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}
