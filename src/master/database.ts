// The master database connection: one postgres.js pool and its drizzle handle, shared by the whole process.
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import postgres, { type Sql } from 'postgres'
import * as schema from './schema.ts'

export type MasterDb = PostgresJsDatabase<typeof schema>

export interface MasterDatabase {
  sql: Sql
  db: MasterDb
  close (): Promise<void>
}

export const MASTER_POOL_SIZE = 10

export function connectMaster (url: string): MasterDatabase {
  const sql = postgres(url, {
    max: MASTER_POOL_SIZE,
    idle_timeout: 60,
    connect_timeout: 5,
    onnotice: () => {},
    connection: { application_name: 'tenancy' },
  })
  return { sql, db: drizzle(sql, { schema }), close: () => sql.end({ timeout: 5 }) }
}
