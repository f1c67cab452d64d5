// Keyset pagination, newest first: stable under concurrent inserts, with opaque cursors that are validated on the way in.
import { sql, type AnyColumn, type SQL } from 'drizzle-orm'

/** Position of a row in (created_at desc, id desc) order. `at` keeps PostgreSQL's microseconds, which a JS Date would lose. */
export interface Keyset {
  at: string
  id: string
}

const AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export const keyset = {
  /** Selects a row's `at` as an exact UTC string. */
  at (createdAt: AnyColumn): SQL<string> {
    return sql<string>`to_char(${createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
  },
  /** Rows strictly after a position in newest-first order, for a prepared query: placeholders `afterAt` and `afterId`. */
  after (createdAt: AnyColumn, id: AnyColumn): SQL {
    return sql`(${createdAt}, ${id}) < (${sql.placeholder('afterAt')}::timestamptz, ${sql.placeholder('afterId')}::uuid)`
  },
}

export function encodeCursor (position: Keyset): string {
  return Buffer.from(JSON.stringify([position.at, position.id])).toString('base64url')
}

/** Undefined for anything that is not a cursor this server made. */
export function decodeCursor (cursor: string): Keyset | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (!Array.isArray(value) || value.length !== 2) return undefined
    const [at, id] = value as unknown[]
    if (typeof at !== 'string' || typeof id !== 'string' || !AT.test(at) || !UUID.test(id) || !isRealInstant(at)) return undefined
    return { at, id }
  } catch {
    return undefined
  }
}

/**
 * A date that exists: the 30th of February and year 0 pass the pattern (and Date.parse rolls the first over), but
 * PostgreSQL refuses both. Years from 1 to 9999 only.
 */
function isRealInstant (at: string): boolean {
  const [year, month, day, hour, minute, second] = at.match(/\d+/g)?.map(Number) ?? []
  if (year === undefined || year < 1) return false
  const instant = new Date(0)
  instant.setUTCFullYear(year, (month as number) - 1, day)
  instant.setUTCHours(hour as number, minute, second)
  return instant.getUTCFullYear() === year && instant.getUTCMonth() === (month as number) - 1 && instant.getUTCDate() === day &&
    instant.getUTCHours() === hour && instant.getUTCMinutes() === minute && instant.getUTCSeconds() === second
}

export interface Page<T> { data: T[], nextCursor: string | null }

/** Given `limit + 1` rows, the page and the cursor of its last row when there are more; `at` gives a row's `Keyset.at`. */
export function page<T extends { id: string }> (rows: T[], limit: number, at: (row: T) => string): Page<T> {
  return pageOf(rows.slice(0, limit), rows.length > limit, at)
}

/** A page whose end was decided elsewhere (e.g. by size), and the cursor of its last row when `more` follow. */
export function pageOf<T extends { id: string }> (data: T[], more: boolean, at: (row: T) => string): Page<T> {
  const last = data[data.length - 1]
  return { data, nextCursor: more && last !== undefined ? encodeCursor({ at: at(last), id: last.id }) : null }
}
