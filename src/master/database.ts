// The master database: one postgres.js pool and its drizzle handle, shared by the whole process, with the repositories
// built on it once.
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import postgres, { type Sql } from 'postgres'
import { boundedPool, type SessionLimits } from '../postgres-sessions.ts'
import { createRefreshTokensRepository } from './refresh-tokens-repository.ts'
import { createServersRepository } from './servers-repository.ts'
import * as schema from './schema.ts'
import { createTenantsRepository } from './tenants-repository.ts'
import { createUsersRepository } from './users-repository.ts'

export type MasterDb = PostgresJsDatabase<typeof schema>

export const MASTER_POOL_SIZE = 10

export interface MasterOptions {
  refreshTokenTtlDays: number
  /** Bounds each statement and lock wait of the pool that serves requests. */
  requestTimeoutMs: number
}

export type MasterDatabase = ReturnType<typeof connectMaster>

export function connectMaster (url: string, options: MasterOptions) {
  const sql: Sql = postgres(url, {
    max: MASTER_POOL_SIZE,
    idle_timeout: 60,
    onnotice: () => {},
    ...boundedPool(requestLimits(options.requestTimeoutMs)),
  })
  const db: MasterDb = drizzle(sql, { schema })
  return {
    sql,
    db,
    tenants: createTenantsRepository(db),
    users: createUsersRepository(db),
    refreshTokens: createRefreshTokensRepository(db, options.refreshTokenTtlDays),
    servers: createServersRepository(db),
    close: () => sql.end({ timeout: 5 }),
  }
}

/** What a session that serves requests may take: a statement or lock wait no longer than a request. */
export function requestLimits (requestTimeoutMs: number): SessionLimits & { connectTimeoutSeconds: number } {
  return {
    statementTimeoutMs: requestTimeoutMs,
    lockTimeoutMs: requestTimeoutMs,
    idleInTransactionMs: Math.max(10_000, 2 * requestTimeoutMs),
    connectTimeoutSeconds: Math.min(5, requestTimeoutMs / 1000),
  }
}
