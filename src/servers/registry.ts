// The runtime's view of the PostgreSQL servers tenants live on: each with its admin login (DATABASE_URL's for the
// default server, decrypted from the master for the others), a small admin pool for DDL, its template database and
// what it can hold. Reloaded when any process changes the servers (see master/tenant-events.ts), so a server added
// through one instance is used by all, with no restart.
import postgres, { type Sql } from 'postgres'
import { ServerUnavailableError } from '../errors.ts'
import { createTemplateDatabase, templateNameFor, type TemplateDatabase } from '../lifecycle/template.ts'
import type { Logger } from '../logging.ts'
import type { DatabaseServer } from '../master/schema.ts'
import { DEFAULT_SERVER, type ServersRepository } from '../master/servers-repository.ts'
import { boundedPool } from '../postgres-sessions.ts'
import { decryptCredential } from './credentials.ts'

/** Connections of each server's admin pool: DDL for tenant changes, one reserved per change on that server. */
export const ADMIN_POOL_SIZE = 2
/** Tenant connections a server keeps back from its budget by default: operators, monitoring, migrations. */
const DEFAULT_RESERVE = 20

export interface ServerHandle {
  id: string
  name: string
  host: string
  port: number
  status: DatabaseServer['status']
  maxTenants: number | null
  /** As configured; null: the server's max_connections less a reserve (see `budget`). */
  connectionBudget: number | null
  isDefault: boolean
  adminUrl: string
  /** The admin pool on this server: opened on first use, never more than ADMIN_POOL_SIZE connections. */
  admin (): Sql
  template: TemplateDatabase | undefined
  /** The server's own max_connections less the superuser reserve, once learnt (undefined until it has answered). */
  available: number | undefined
}

export interface ServerRegistryOptions {
  servers: ServersRepository
  tenantDbSecret: string
  /** DATABASE_URL: the default server's admin login, and the master database's server. */
  defaultAdminUrl: string
  useTemplate: boolean
  log: Logger
}

export type ServerRegistry = Awaited<ReturnType<typeof createServerRegistry>>

export async function createServerRegistry (options: ServerRegistryOptions) {
  const handles = new Map<string, ServerHandle>()
  const masterName = decodeURIComponent(new URL(options.defaultAdminUrl).pathname.slice(1))

  function handleFor (row: DatabaseServer): ServerHandle {
    const isDefault = row.name === DEFAULT_SERVER
    const adminUrl = isDefault ? options.defaultAdminUrl : decryptCredential(options.tenantDbSecret, row.adminUrlEncrypted as string)
    let pool: Sql | undefined
    return {
      ...fields(row),
      isDefault,
      adminUrl,
      admin: () => (pool ??= postgres(adminUrl, {
        max: ADMIN_POOL_SIZE,
        idle_timeout: 60,
        onnotice: () => {},
        ...boundedPool({ statementTimeoutMs: 120_000, lockTimeoutMs: 10_000, idleInTransactionMs: 60_000, connectTimeoutSeconds: 5 }, 'tenancy admin'),
      })),
      template: options.useTemplate ? createTemplateDatabase({ name: templateNameFor(masterName), adminUrl }) : undefined,
      available: undefined,
      async close () { await pool?.end({ timeout: 5 }) },
    } as ServerHandle & { close (): Promise<void> }
  }

  /** Reads the servers again: new ones get a handle, removed ones lose theirs, the rest take their new settings. */
  async function reload (): Promise<void> {
    const rows = await options.servers.list()
    const seen = new Set<string>()
    for (const row of rows) {
      seen.add(row.id)
      const handle = handles.get(row.id)
      if (handle === undefined) {
        try {
          handles.set(row.id, handleFor(row))
        } catch (error) {
          options.log.error({ err: error, server: row.name }, 'cannot read the admin login of a database server (was TENANT_DB_SECRET changed?)')
        }
      } else {
        Object.assign(handle, fields(row))
      }
    }
    for (const [id, handle] of handles) {
      if (seen.has(id)) continue
      handles.delete(id)
      await (handle as ServerHandle & { close (): Promise<void> }).close()
    }
  }

  await reload()

  return {
    reload,
    all: (): ServerHandle[] => [...handles.values()],
    /** The server, or a 503: a tenant's row names a server this process cannot use (yet). */
    get (id: string): ServerHandle {
      const handle = handles.get(id)
      if (handle === undefined) throw new ServerUnavailableError()
      return handle
    },
    byName: (name: string): ServerHandle | undefined => [...handles.values()].find((handle) => handle.name === name),
    default: (): ServerHandle => [...handles.values()].find((handle) => handle.isDefault) as ServerHandle,

    /**
     * Tenant connections all instances together may hold on the server: its configured budget, else its max_connections
     * less a reserve (and, on the master's own server, less every instance's master pools).
     */
    budget (handle: ServerHandle, masterConnectionsPerInstance: number, liveInstances: number): number {
      if (handle.connectionBudget !== null) return handle.connectionBudget
      const available = handle.available ?? 100
      return Math.max(1, available - DEFAULT_RESERVE - (handle.isDefault ? masterConnectionsPerInstance * liveInstances : 0))
    },

    /** Learns each server's max_connections (a server that does not answer is asked again next time). */
    async survey (only?: ServerHandle): Promise<void> {
      await Promise.all((only === undefined ? [...handles.values()] : [only]).map(async (handle) => {
        if (handle.available !== undefined) return
        const [row] = await handle.admin()<{ available: number }[]>`
          select current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int as available`.catch(() => [])
        if (row !== undefined) handle.available = row.available
      }))
    },

    async close (): Promise<void> {
      for (const handle of handles.values()) await (handle as ServerHandle & { close (): Promise<void> }).close()
      handles.clear()
    },
  }
}

function fields (row: DatabaseServer) {
  return {
    id: row.id,
    name: row.name,
    host: row.host,
    port: row.port,
    status: row.status,
    maxTenants: row.maxTenants,
    connectionBudget: row.connectionBudget,
  }
}
