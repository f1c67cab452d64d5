// Every change to a tenant runs holding the tenant's PostgreSQL advisory lock, on one reserved master connection that
// carries every statement of the change. A dead process's lock is released with its connection, which is how a crashed
// change is recognised; and since the change never asks a pool for a second connection, changes cannot starve each other.
import { drizzle } from 'drizzle-orm/postgres-js'
import type { ReservedSql, Sql } from 'postgres'
import { LifecycleBusyError } from '../errors.ts'
import * as masterSchema from '../master/schema.ts'
import { Semaphore } from '../semaphore.ts'
import { createTenantsRepository } from '../master/tenants-repository.ts'
import { createUsersRepository } from '../master/users-repository.ts'
import { createTenantDatabaseAdmin, type TenantDatabaseAdmin } from '../tenant-database/admin.ts'

export interface TenantSession {
  sql: ReservedSql
  admin: TenantDatabaseAdmin
  tenants: ReturnType<typeof createTenantsRepository>
  users: ReturnType<typeof createUsersRepository>
}

export interface TenantLockOptions {
  /** The lifecycle's own pool on the master database, apart from the one that serves requests. */
  sql: Sql
  /** Its size: how many changes run at once. */
  connections: number
  adminUrl: string
  tenantDbSecret: string
  /** The CONNECTION LIMIT a tenant made now gets (it follows the live instances). */
  connectionLimit (): number
  /** This installation's mark on the databases and roles it makes. */
  mark: string
}

/** `deadline` (performance.now() ms) bounds the wait for one of the lifecycle's connections, not the change itself. */
export type WithTenantLock = <T>(slug: string, busy: () => Error, fn: (session: TenantSession) => Promise<T>, deadline?: number) => Promise<T>

export function tenantLocks (options: TenantLockOptions): WithTenantLock {
  // One change per connection of the lifecycle's pool; the rest queue, each until its own deadline.
  const changes = new Semaphore(options.connections, () => new LifecycleBusyError())
  return async (slug, busy, fn, deadline) => {
    await changes.take(deadline)
    const sql = await options.sql.reserve().catch((error: unknown) => {
      changes.release()
      throw error
    })
    const key = `tenancy:tenant:${slug}`
    try {
      const [row] = await sql<{ locked: boolean }[]>`select pg_try_advisory_lock(hashtext(${key})) as locked`
      if (row?.locked !== true) throw busy()
      try {
        // drizzle reads the client's type parsers from `options`, which a reserved connection does not expose; they are its pool's.
        const db = drizzle(Object.assign(sql, { options: options.sql.options }), { schema: masterSchema })
        const admin = createTenantDatabaseAdmin({ ...options, sql, connectionLimit: options.connectionLimit() })
        return await fn({ sql, admin, tenants: createTenantsRepository(db), users: createUsersRepository(db) })
      } finally {
        await sql`select pg_advisory_unlock(hashtext(${key}))`.catch(() => {})
      }
    } finally {
      sql.release()
      changes.release()
    }
  }
}
