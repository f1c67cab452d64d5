// Every change to a tenant runs holding the tenant's PostgreSQL advisory lock, on one reserved master connection that
// carries every master statement of the change, and one reserved admin connection on each server it touches. A dead
// process's lock is released with its connection, which is how a crashed change is recognised; and since a change
// never asks a pool for a second connection of that pool, changes cannot starve each other.
import { drizzle } from 'drizzle-orm/postgres-js'
import type { ReservedSql, Sql } from 'postgres'
import { LifecycleBusyError } from '../errors.ts'
import * as masterSchema from '../master/schema.ts'
import { createTenantsRepository } from '../master/tenants-repository.ts'
import { createUsersRepository } from '../master/users-repository.ts'
import { Semaphore } from '../semaphore.ts'
import { ADMIN_POOL_SIZE, type ServerHandle } from '../servers/registry.ts'
import { createTenantDatabaseAdmin, type TenantDatabaseAdmin } from '../tenant-database/admin.ts'

export interface TenantSession {
  sql: ReservedSql
  tenants: ReturnType<typeof createTenantsRepository>
  users: ReturnType<typeof createUsersRepository>
  /** DDL on `server`, on one connection of its admin pool reserved for the rest of the change. */
  adminOn (server: ServerHandle): Promise<TenantDatabaseAdmin>
}

export interface TenantLockOptions {
  /** The lifecycle's own pool on the master database, apart from the one that serves requests. */
  sql: Sql
  /** Its size: how many changes run at once. */
  connections: number
  tenantDbSecret: string
  /** The CONNECTION LIMIT a tenant made now gets (it follows the live instances). */
  connectionLimit (): number
  /** This installation's mark on the databases and roles it makes. */
  mark: string
}

/** `deadline` (performance.now() ms) bounds the waits for a turn and for connections, not the change itself. */
export type WithTenantLock = <T>(
  slug: string,
  busy: () => Error,
  fn: (session: TenantSession) => Promise<T>,
  deadline?: number,
) => Promise<T>

export function tenantLocks (options: TenantLockOptions): WithTenantLock {
  // One change per connection of the lifecycle's pool; the rest queue, each until its own deadline.
  const changes = new Semaphore(options.connections, () => new LifecycleBusyError())
  // And no more changes on one server than its admin pool has connections, so none waits on that pool.
  const perServer = new Map<string, Semaphore>()
  const turnOn = (server: ServerHandle) => {
    let turns = perServer.get(server.id)
    if (turns === undefined) perServer.set(server.id, turns = new Semaphore(ADMIN_POOL_SIZE, () => new LifecycleBusyError()))
    return turns
  }

  return async (slug, busy, fn, deadline) => {
    await changes.take(deadline)
    const held: Array<() => void> = [() => { changes.release() }]
    try {
      const sql = await options.sql.reserve()
      held.unshift(() => { sql.release() })
      const key = `tenancy:tenant:${slug}`
      const [row] = await sql<{ locked: boolean }[]>`select pg_catalog.pg_try_advisory_lock(pg_catalog.hashtext(${key})) as locked`
      if (row?.locked !== true) throw busy()
      try {
        // drizzle reads the client's type parsers from `options`, which a reserved connection does not expose; they are its pool's.
        const db = drizzle(Object.assign(sql, { options: options.sql.options }), { schema: masterSchema })
        const admins = new Map<string, TenantDatabaseAdmin>()
        const adminOn = async (server: ServerHandle) => {
          const known = admins.get(server.id)
          if (known !== undefined) return known
          const turns = turnOn(server)
          await turns.take(deadline)
          held.unshift(() => { turns.release() })
          const reserved = await server.admin().reserve()
          held.unshift(() => { reserved.release() })
          const admin = createTenantDatabaseAdmin({
            ...options,
            sql: reserved,
            adminUrl: server.adminUrl,
            connectionLimit: options.connectionLimit(),
          })
          admins.set(server.id, admin)
          return admin
        }
        return await fn({ sql, tenants: createTenantsRepository(db), users: createUsersRepository(db), adminOn })
      } finally {
        await sql`select pg_catalog.pg_advisory_unlock(pg_catalog.hashtext(${key}))`.catch(() => {})
      }
    } finally {
      for (const release of held) release()
    }
  }
}
