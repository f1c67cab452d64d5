// One lock per user that orders its sessions' refreshes against changes that end them (password, role, deletion).
import { sql, type SQL } from 'drizzle-orm'

/** The first key of the two-key advisory locks taken here: no other lock of this project uses the two-key form. */
const SESSIONS = 7_301

/**
 * A transaction-scoped advisory lock on `userId`'s sessions: shared by refreshes and logins (they run side by side),
 * exclusive for a change that ends them. PostgreSQL queues these fairly: a change waits for the refreshes in flight
 * and the next refreshes wait for the change, so a user refreshing in a loop cannot starve a deletion (a row lock
 * could: every new token's foreign key takes a key-share lock on the user's row, and those pass a waiting delete).
 */
export function sessionsLock (userId: SQL | string, mode: 'shared' | 'exclusive'): SQL {
  const fn = mode === 'shared' ? sql.raw('pg_catalog.pg_advisory_xact_lock_shared') : sql.raw('pg_catalog.pg_advisory_xact_lock')
  return sql`${fn}(${SESSIONS}, pg_catalog.hashtext(${userId}::text))`
}
