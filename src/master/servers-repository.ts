// The PostgreSQL servers tenant databases live on, as the master records them, with how many tenants each holds.
import { and, count, eq, sql } from 'drizzle-orm'
import { sqlState, UNIQUE_VIOLATION } from '../postgres-errors.ts'
import type { MasterDb } from './database.ts'
import { databaseServers, tenants, type DatabaseServer, type ServerStatus } from './schema.ts'

export const DEFAULT_SERVER = 'default'

export type ServersRepository = ReturnType<typeof createServersRepository>

export interface ServerChanges {
  status?: ServerStatus
  maxTenants?: number | null
  connectionBudget?: number | null
}

export interface NewServer {
  name: string
  host: string
  port: number
  adminUrlEncrypted: string
  maxTenants?: number | null
  connectionBudget?: number | null
}

export function createServersRepository (db: MasterDb) {
  return {
    async list (): Promise<DatabaseServer[]> {
      return db.select().from(databaseServers).orderBy(databaseServers.createdAt, databaseServers.name)
    },

    /** Tenants on each server (those being made or deleted included: they occupy it too). */
    async tenantCounts (): Promise<Map<string, number>> {
      const rows = await db.select({ serverId: tenants.serverId, n: count() }).from(tenants).groupBy(tenants.serverId)
      return new Map(rows.map((row) => [row.serverId, row.n]))
    },

    async findByName (name: string): Promise<DatabaseServer | undefined> {
      const [row] = await db.select().from(databaseServers).where(eq(databaseServers.name, name))
      return row
    },

    /** Undefined when the name is taken. */
    async add (values: NewServer): Promise<DatabaseServer | undefined> {
      try {
        const [row] = await db.insert(databaseServers).values(values).returning()
        return row
      } catch (error) {
        if (sqlState(error) === UNIQUE_VIOLATION) return undefined
        throw error
      }
    },

    async update (name: string, changes: ServerChanges): Promise<DatabaseServer | undefined> {
      const [row] = await db.update(databaseServers).set(changes).where(eq(databaseServers.name, name)).returning()
      return row
    },

    /** Removes a server that holds no tenant: 'removed', 'not-found', or 'in-use'. One statement, so no tenant lands meanwhile. */
    async remove (name: string): Promise<'removed' | 'not-found' | 'in-use'> {
      const removed = await db.delete(databaseServers)
        .where(and(eq(databaseServers.name, name), sql`not exists (select 1 from ${tenants} where ${tenants.serverId} = ${databaseServers.id})`))
        .returning({ id: databaseServers.id })
      if (removed.length > 0) return 'removed'
      return (await this.findByName(name)) === undefined ? 'not-found' : 'in-use'
    },
  }
}

/**
 * The default server's id. It is recorded from the admin URL the first time a process starts on this master, and never
 * rewritten after: a CLI run through a tunnel (another host or port for the same server) must not move where every
 * running instance connects.
 */
export async function ensureDefaultServer (db: MasterDb, adminUrl: string): Promise<string> {
  const url = new URL(adminUrl)
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  const port = url.port === '' ? 5432 : Number(url.port)
  await db.insert(databaseServers).values({ name: DEFAULT_SERVER, host, port }).onConflictDoNothing({ target: databaseServers.name })
  const [row] = await db.select({ id: databaseServers.id }).from(databaseServers).where(eq(databaseServers.name, DEFAULT_SERVER))
  if (row === undefined) throw new Error('could not record the default database server')
  return row.id
}
