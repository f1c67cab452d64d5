// How every PostgreSQL session the process opens is bounded, so that nothing waits on the database forever: a stuck
// statement, a lock wait and a transaction left open all end themselves, and a pool retries a lost server quickly.
import type { Options } from 'postgres'

export interface SessionLimits {
  /** statement_timeout: a statement running longer is cancelled (57014). */
  statementTimeoutMs: number
  /** lock_timeout: waiting longer for a lock fails the statement (55P03). */
  lockTimeoutMs: number
  /** idle_in_transaction_session_timeout: a transaction left idle longer ends its session. */
  idleInTransactionMs: number
}

/** Startup parameters: the server applies them to the session before its first statement, at no extra round trip. */
export function sessionParameters (limits: SessionLimits, applicationName = 'tenancy'): Record<string, string> {
  return {
    application_name: applicationName,
    statement_timeout: String(Math.round(limits.statementTimeoutMs)),
    lock_timeout: String(Math.round(limits.lockTimeoutMs)),
    idle_in_transaction_session_timeout: String(Math.round(limits.idleInTransactionMs)),
  }
}

/**
 * Seconds before a pool tries a lost server again, after `retries` failures in a row. postgres.js's own back-off grows
 * to 20 s, and queries queue behind it: a request would wait that long, and a server back after an outage would not be
 * used for as long. A failed attempt costs little (a refused connection), so retry within a quarter of a second.
 */
export function reconnectBackoff (retries: number): number {
  return Math.min(0.25, 0.02 * 2 ** retries)
}

/** The options that bound a postgres.js pool: its sessions, its connect timeout and its reconnect back-off. */
export function boundedPool (limits: SessionLimits & { connectTimeoutSeconds: number }, applicationName?: string): Partial<Options<{}>> {
  return {
    connect_timeout: limits.connectTimeoutSeconds,
    backoff: reconnectBackoff,
    connection: sessionParameters(limits, applicationName),
  }
}
