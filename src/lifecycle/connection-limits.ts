// The server-side cap on each tenant's connections (its role's and database's CONNECTION LIMIT): room for every live
// instance's widest pool of the tenant, plus a reserve for a migration and an operator. It follows the configuration and
// the number of instances: raised when an instance starts, set exactly by `tenancy migrate`. Each server is set on its
// own, and one that cannot be reached is reported, not waited for.
import type { TenantsRepository } from '../master/tenants-repository.ts'
import type { ServerRegistry } from '../servers/registry.ts'
import { tenantRoleName } from '../tenant-database/identity.ts'

/** Connections a tenant's role and database accept beyond its pools: a migration and an operator's session. */
export const CONNECTION_RESERVE = 2

export function tenantConnectionLimit (maxConnectionsPerTenant: number, liveInstances: number): number {
  return maxConnectionsPerTenant * Math.max(1, liveInstances) + CONNECTION_RESERVE
}

export interface Reconciled {
  changed: number
  failed: Array<{ slug: string, error: string }>
}

/**
 * Brings every serving tenant's limit to `limit`: only those below it when `raiseOnly` (an instance starting must not
 * take room from others), else every one that differs. One query per server finds them; only those are altered.
 */
export async function reconcileConnectionLimits (servers: ServerRegistry, tenants: Pick<TenantsRepository, 'listByStatus'>, limit: number, raiseOnly: boolean): Promise<Reconciled> {
  const result: Reconciled = { changed: 0, failed: [] }
  const serving = await tenants.listByStatus(['active', 'suspended'])
  for (const server of servers.all()) {
    const onServer = serving.filter((tenant) => tenant.serverId === server.id)
    const byRole = new Map(onServer.map((tenant) => [tenantRoleName(tenant.slug), tenant.slug]))
    if (byRole.size === 0) continue
    const sql = server.admin()
    try {
      const off = await sql<{ name: string }[]>`
        select rolname as name from pg_catalog.pg_roles
        where rolname = any(${[...byRole.keys()]}) and ${raiseOnly ? sql`rolconnlimit between 0 and ${limit - 1}` : sql`rolconnlimit <> ${limit}`}`
      for (const { name } of off) {
        try {
          // Utility statements take no parameters: the limit is an integer, the names are validated identifiers.
          await sql`alter role ${sql(name)} connection limit ${sql.unsafe(String(Math.trunc(limit)))}`
          await sql`alter database ${sql(name)} connection limit ${sql.unsafe(String(Math.trunc(limit)))}`
          result.changed++
        } catch (error) {
          result.failed.push({ slug: byRole.get(name) as string, error: (error as Error).message })
        }
      }
    } catch (error) {
      for (const slug of byRole.values()) result.failed.push({ slug, error: `server ${server.name}: ${(error as Error).message}` })
    }
  }
  return result
}
