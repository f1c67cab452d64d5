// What an operator does to database servers, for the CLI and /api/v1/servers alike: add one (checked first, its admin
// login stored encrypted), list them with what they hold, drain, change or remove one. Every change is told to every
// running instance, which starts using it at once.
import { BadRequestError, ConflictError, NotFoundError } from '../errors.ts'
import type { Logger } from '../logging.ts'
import type { DatabaseServer } from '../master/schema.ts'
import type { ServerChanges, ServersRepository } from '../master/servers-repository.ts'
import { closeToPublic, SERVER_DATABASES } from '../master/startup.ts'
import type { TenantEvents } from '../master/tenant-events.ts'
import { checkServer } from './check.ts'
import { encryptCredential } from './credentials.ts'
import type { ServerHandle, ServerRegistry } from './registry.ts'

export const SERVER_NAME_PATTERN = '^[a-z][a-z0-9_-]{0,39}$'
const SERVER_NAME = new RegExp(SERVER_NAME_PATTERN)
/** How long `list` waits for each server's own figures before showing it unreachable. */
const SURVEY_TIMEOUT_MS = 2000

export interface ServerView {
  name: string
  status: DatabaseServer['status']
  host: string
  port: number
  tenants: number
  max_tenants: number | null
  /** As configured, or what this instance derives from the server's max_connections. */
  connection_budget: number
  /** Sessions of tenant roles on the server now (every instance's pools and more), null when unreachable. */
  connections_in_use: number | null
  version: string | null
  reachable: boolean
}

export interface ServersServiceOptions {
  repository: ServersRepository
  registry: ServerRegistry
  events: TenantEvents
  tenantDbSecret: string
  /** The budget of a server, as this instance works it out (see ServerRegistry.budget). */
  budgetOf (server: ServerHandle): number
  log: Logger
}

export type ServersService = ReturnType<typeof createServersService>

export function createServersService (options: ServersServiceOptions) {
  const { repository, registry } = options

  async function changed (): Promise<void> {
    await registry.reload()
    await options.events.publishServers()
  }

  async function view (server: ServerHandle, tenants: number): Promise<ServerView> {
    const facts = await Promise.race([
      server.admin()<{ version: string, inUse: number }[]>`
        select current_setting('server_version') as version,
          (select count(*)::int from pg_catalog.pg_stat_activity where usename like 'tenant\\_%') as "inUse"`.then(([row]) => row, () => undefined),
      new Promise<undefined>((resolve) => { setTimeout(resolve, SURVEY_TIMEOUT_MS) }),
    ])
    return {
      name: server.name,
      status: server.status,
      host: server.host,
      port: server.port,
      tenants,
      max_tenants: server.maxTenants,
      connection_budget: options.budgetOf(server),
      connections_in_use: facts?.inUse ?? null,
      version: facts?.version ?? null,
      reachable: facts !== undefined,
    }
  }

  return {
    async list (): Promise<ServerView[]> {
      await registry.reload()
      const counts = await repository.tenantCounts()
      return Promise.all(registry.all().map((server) => view(server, counts.get(server.id) ?? 0)))
    },

    async get (name: string): Promise<ServerView> {
      await registry.reload()
      const server = registry.byName(name)
      if (server === undefined) throw new NotFoundError('Server')
      return view(server, (await repository.tenantCounts()).get(server.id) ?? 0)
    },

    /** Checks the server (reachable, may create databases and roles), then records it; 409 when the name is taken. */
    async add (request: { name: string, url: string, maxTenants?: number | null, connectionBudget?: number | null }): Promise<ServerView> {
      if (!SERVER_NAME.test(request.name)) throw new BadRequestError('A server name is a lowercase letter, then up to 39 lowercase letters, digits, "_" or "-"')
      const url = parseAdminUrl(request.url)
      if ((await repository.findByName(request.name)) !== undefined) throw new ConflictError('A server with this name already exists')
      await checkServer(request.url)
      const added = await repository.add({
        name: request.name,
        host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port === '' ? 5432 : Number(url.port),
        adminUrlEncrypted: encryptCredential(options.tenantDbSecret, request.url),
        maxTenants: request.maxTenants ?? null,
        connectionBudget: request.connectionBudget ?? null,
      })
      if (added === undefined) throw new ConflictError('A server with this name already exists')
      await changed()
      const server = registry.get(added.id)
      // Tenant roles reach their own database only, on this server too.
      await closeToPublic(server.admin(), options.log, SERVER_DATABASES)
      return view(server, 0)
    },

    /** Drains (no new tenants), reactivates, or changes its limits. */
    async update (name: string, changes: ServerChanges): Promise<ServerView> {
      const updated = await repository.update(name, changes)
      if (updated === undefined) throw new NotFoundError('Server')
      await changed()
      return view(registry.get(updated.id), (await repository.tenantCounts()).get(updated.id) ?? 0)
    },

    /** Only a server without tenants; never the default one (DATABASE_URL's). */
    async remove (name: string): Promise<void> {
      if (registry.byName(name)?.isDefault === true) throw new ConflictError('The default server (DATABASE_URL\'s) cannot be removed')
      const outcome = await repository.remove(name)
      if (outcome === 'not-found') throw new NotFoundError('Server')
      if (outcome === 'in-use') throw new ConflictError('The server still holds tenants; move or delete them first')
      await changed()
    },
  }
}

/** A postgres:// URL with a host, checked without ever echoing it (it carries a password). */
function parseAdminUrl (value: string): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new BadRequestError('The URL is not a postgres:// URL')
  }
  if (!['postgres:', 'postgresql:'].includes(url.protocol) || url.hostname === '') throw new BadRequestError('The URL is not a postgres:// URL with a host')
  if (url.port !== '' && !(Number(url.port) >= 1 && Number(url.port) <= 65535)) throw new BadRequestError('The URL\'s port must be from 1 to 65535')
  return url
}
