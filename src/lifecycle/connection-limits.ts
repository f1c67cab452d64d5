// The server-side cap on each tenant's connections (its role's and database's CONNECTION LIMIT): room for every live
// instance's widest pool of the tenant, plus a reserve for a migration and an operator. It follows the configuration and
// the number of instances: raised when an instance starts, set exactly by `tenancy migrate`.
import type { Sql } from 'postgres'
import type { TenantsRepository } from '../master/tenants-repository.ts'
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
 * take room from others), else every one that differs. One query finds them; only those are altered.
 */
export async function reconcileConnectionLimits (sql: Sql, tenants: Pick<TenantsRepository, 'listByStatus'>, limit: number, raiseOnly: boolean): Promise<Reconciled> {
  const slugs = (await tenants.listByStatus(['active', 'suspended'])).map((tenant) => tenant.slug)
  if (slugs.length === 0) return { changed: 0, failed: [] }
  const byRole = new Map(slugs.map((slug) => [tenantRoleName(slug), slug]))
  const off = await sql<{ name: string }[]>`
    select rolname as name from pg_catalog.pg_roles
    where rolname = any(${[...byRole.keys()]}) and ${raiseOnly ? sql`rolconnlimit between 0 and ${limit - 1}` : sql`rolconnlimit <> ${limit}`}`
  const result: Reconciled = { changed: 0, failed: [] }
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
  return result
}
