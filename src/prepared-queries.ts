// Queries built once and run as drizzle prepared queries: drizzle builds their SQL once, postgres.js parses each once
// per connection as a named statement, and every later run is a single round trip (Bind, Execute, Sync).
// drizzle's postgres-js driver asks postgres.js to prepare only a query built with `.prepare(name)`; any other query
// goes out unnamed, and one with parameters is then parsed and described on every run, a round trip of its own.
import { is, type InferSelectModel, type Table } from 'drizzle-orm'
import type { PgPreparedQuery, PreparedQueryConfig } from 'drizzle-orm/pg-core'
import { PostgresJsPreparedQuery } from 'drizzle-orm/postgres-js'

/**
 * A value built on first use and kept: a prepared query is bound to the database handle it was built on, and building
 * it (drizzle's query builder, getSQL and sqlToQuery) is the work a request should not repeat.
 */
export function lazily<T> (build: () => T): () => T {
  let value: T | undefined
  let built = false
  return () => {
    if (!built) {
      value = build()
      built = true
    }
    return value as T
  }
}

/** A table's row as PostgreSQL sends it: its columns under their SQL names, typed as drizzle infers them. */
export type SqlRow<T extends Table> = {
  [K in keyof T['_']['columns'] & string as T['_']['columns'][K]['_']['name']]: InferSelectModel<T>[K]
}

/**
 * A query prepared on first use whose runs return the rows as postgres.js made them (drizzle's
 * `PostgresJsPreparedQuery.all`): one object per row, keyed by column name. `execute` would have postgres.js build
 * each row as an array and drizzle build it again as an object (mapResultRow). The rows come back in a plain array:
 * postgres.js's result is an Array subclass, on which V8 takes its slow path for slice and map.
 */
export function rowsOf<Row> (build: () => PgPreparedQuery<PreparedQueryConfig>): (values: Record<string, unknown>) => Promise<Row[]> {
  const prepared = lazily(() => {
    const query = build()
    if (!is(query, PostgresJsPreparedQuery)) throw new TypeError('rowsOf needs a query prepared on drizzle-orm/postgres-js')
    return query
  })
  return async (values) => {
    const result = await prepared().all(values) as Row[]
    const rows: Row[] = []
    for (const row of result) rows.push(row)
    return rows
  }
}
