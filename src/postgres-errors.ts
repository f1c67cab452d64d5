// SQLSTATE codes the application handles, and how to read them through drizzle's wrapping of driver errors.

export const UNIQUE_VIOLATION = '23505'
export const FOREIGN_KEY_VIOLATION = '23503'
/** The template database is being accessed by other users. */
export const OBJECT_IN_USE = '55006'
export const DUPLICATE_DATABASE = '42P04'
export const TOO_MANY_CONNECTIONS = '53300'

interface ErrorFields { code?: unknown, routine?: unknown, cause?: unknown }

/** An error and its causes: drizzle wraps postgres.js errors (DrizzleQueryError), ours wrap both. */
function chainOf (error: unknown): ErrorFields[] {
  const chain: ErrorFields[] = []
  for (let current = error; chain.length < 4 && current !== null && typeof current === 'object'; current = (current as ErrorFields).cause) {
    chain.push(current as ErrorFields)
  }
  return chain
}

/** The codes on an error and its causes. */
function codesOf (error: unknown): string[] {
  return chainOf(error).flatMap(({ code }) => typeof code === 'string' ? [code] : [])
}

/** The first code on an error or its causes: a SQLSTATE, a postgres.js code or a socket's. */
export function codeOf (error: unknown): string | undefined {
  return codesOf(error)[0]
}

export function sqlState (error: unknown): string | undefined {
  return codesOf(error).find((code) => /^[0-9A-Z]{5}$/.test(code))
}

// Connection-level failures: the database is down, full, gone or refusing us, not the request being wrong.
const UNAVAILABLE = new Set([
  'CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECTION_ENDED', 'CONNECT_TIMEOUT', // postgres.js
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', // the socket
  '53300', // too_many_connections
  '57P01', '57P02', '57P03', // admin_shutdown, crash_shutdown, cannot_connect_now
  '3D000', // invalid_catalog_name: the database was dropped under us
  '28000', '28P01', // invalid authorization: the role was disabled or its password changed
])

/** True when a query failed because a database could not be reached: a 503 to retry, not a 500. */
export function isDatabaseUnavailable (error: unknown): boolean {
  return codesOf(error).some((code) => UNAVAILABLE.has(code) || code.startsWith('08'))
}

// A statement that ran out of time: statement_timeout (or a cancel), lock_timeout.
const BUSY = new Set(['57014', '55P03'])

/** True when a query was cut off by a session limit (see postgres-sessions.ts): a 503 to retry, not a 500. */
export function isDatabaseBusy (error: unknown): boolean {
  return codesOf(error).some((code) => BUSY.has(code))
}

/**
 * True when a prepared statement no longer matched its session: a migration changed what it returns (0A000 from
 * RevalidateCachedQuery) or the session lost it (26000). Nothing of the statement ran; postgres.js runs it again,
 * except while another query on the connection awaits its description (patches/postgres+3.4.9.patch): a 503 to retry.
 */
export function isStatementStale (error: unknown): boolean {
  return chainOf(error).some(({ code, routine }) => code === '26000' || (code === '0A000' && routine === 'RevalidateCachedQuery'))
}

// The tenant's database or login is gone (dropped, or its role removed): its pool must not be used again.
const GONE = new Set(['3D000', '28000', '28P01', '57P01'])

/** True when a failure means the pool's database or role no longer exists (or its sessions were terminated). */
export function isDatabaseGone (error: unknown): boolean {
  return codesOf(error).some((code) => GONE.has(code))
}

/**
 * True when the pool a query ran on has lost its connection (or cannot make one): it is to be closed, not reused. Not
 * so for a pool that could not grow because its role is at its limit, nor for one this process ended.
 */
export function isPoolBroken (error: unknown): boolean {
  const codes = codesOf(error)
  return !codes.includes(TOO_MANY_CONNECTIONS) && !codes.includes('CONNECTION_ENDED') && (isDatabaseGone(error) || isDatabaseUnavailable(error))
}
