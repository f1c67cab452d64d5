// How a tenant's pool is made: a postgres.js pool logged in as the tenant's own role, with its repositories.
import { drizzle } from 'drizzle-orm/postgres-js'
import postgres, { type Sql } from 'postgres'
import { sqlState, TOO_MANY_CONNECTIONS } from '../postgres-errors.ts'
import { boundedPool, type SessionLimits } from '../postgres-sessions.ts'
import { createTenantRepositories, type TenantRepositories } from '../tenant-database/repositories.ts'
import * as tenantSchema from '../tenant-database/schema.ts'

/** Where and as whom a tenant's pool connects. */
export interface TenantConnectionTarget {
  /** The tenant the database belongs to: a slug can be deleted and given to another tenant, its database with it. */
  tenantId: string
  host: string
  port: number
  database: string
  username: string
  password: string
}

export interface TenantConnection {
  slug: string
  /** The tenant whose database this is (see TenantConnectionTarget). */
  tenantId: string
  sql: Sql
  /** Built once with the pool: requests reuse them. */
  repositories: TenantRepositories
  /** The most connections the pool opens. */
  width: number
  /** Ends the pool; queries already sent get `timeoutSeconds` to finish. Never rejects. */
  close (timeoutSeconds: number): Promise<void>
}

/** Opens a tenant's pool of `width` connections and resolves once it is connected; nothing is left behind if it fails. */
export type Connect = (slug: string, target: TenantConnectionTarget, width: number) => Promise<TenantConnection>

export interface TenantPoolOptions extends SessionLimits {
  idleTimeoutSeconds: number
  connectTimeoutSeconds: number
  applicationName?: string
}

/**
 * Session settings a tenant role may set for itself (ALTER ROLE … SET) that the app depends on: where its tables
 * are, that it may write, how its transactions and timestamps behave. The session limits are given by boundedPool.
 */
export const PINNED_SETTINGS: Record<string, string> = {
  search_path: 'public',
  // A string: postgres.js leaves out a startup parameter whose value is false.
  default_transaction_read_only: 'off',
  default_transaction_isolation: 'read committed',
  // Timestamps are read as ISO text in UTC (src/timestamps.ts): in a zone whose offset has seconds (Asia/Kolkata
  // before 1942), PostgreSQL writes one a JS Date cannot read.
  DateStyle: 'ISO, MDY',
  TimeZone: 'UTC',
  IntervalStyle: 'postgres',
  client_encoding: 'UTF8',
}

export function postgresConnector (options: TenantPoolOptions): Connect {
  const bounded = boundedPool(options, options.applicationName)
  return async (slug, target, width) => {
    const sql = postgres({
      ...target,
      max: width,
      idle_timeout: options.idleTimeoutSeconds,
      onnotice: () => {},
      // No array types of our own: skip the pg_type query postgres.js would run on every new connection.
      fetch_types: false,
      ...bounded,
      // What the tenant's role could plant with ALTER ROLE … SET is given again at connection: startup parameters win
      // over role and database settings, so the role cannot redirect or break its own sessions.
      connection: { ...bounded.connection, ...PINNED_SETTINGS },
    })
    const close = (timeoutSeconds: number) => sql.end({ timeout: timeoutSeconds }).catch(() => {})
    try {
      // postgres.js connects lazily; connecting now means a bad database or credential fails this open, uncached.
      await probe(sql, options.connectTimeoutSeconds * 1000)
    } catch (error) {
      await close(0)
      throw error
    }
    const repositories = createTenantRepositories(drizzle(sql, { schema: tenantSchema }))
    return { slug, tenantId: target.tenantId, sql, repositories, width, close }
  }
}

/**
 * The first connection. A role at its CONNECTION LIMIT (other instances' pools, an operator's sessions) is waited for,
 * within the connect timeout, rather than failed at once: connections free up as pools go idle.
 */
async function probe (sql: Sql, withinMs: number): Promise<void> {
  const deadline = performance.now() + withinMs
  for (let attempt = 1; ; attempt++) {
    try {
      await sql`select 1`
      return
    } catch (error) {
      if (sqlState(error) !== TOO_MANY_CONNECTIONS || performance.now() + 50 * attempt > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt))
    }
  }
}
