// The master database: one postgres.js pool and its drizzle handle, shared by the whole process, with the repositories
// built on it once.
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import postgres, { type Sql } from 'postgres'
import { createRefreshTokensRepository } from './refresh-tokens-repository.ts'
import * as schema from './schema.ts'
import { createTenantsRepository } from './tenants-repository.ts'
import { createUsersRepository } from './users-repository.ts'

export type MasterDb = PostgresJsDatabase<typeof schema>

export const MASTER_POOL_SIZE = 10

export interface MasterOptions {
  refreshTokenTtlDays: number
}

export type MasterDatabase = ReturnType<typeof connectMaster>

export function connectMaster (url: string, options: MasterOptions) {
  const sql: Sql = postgres(url, {
    max: MASTER_POOL_SIZE,
    idle_timeout: 60,
    connect_timeout: 5,
    onnotice: () => {},
    connection: { application_name: 'tenancy' },
  })
  const db: MasterDb = drizzle(sql, { schema })
  return {
    sql,
    db,
    tenants: createTenantsRepository(db),
    users: createUsersRepository(db),
    refreshTokens: createRefreshTokensRepository(db, options.refreshTokenTtlDays),
    close: () => sql.end({ timeout: 5 }),
  }
}
