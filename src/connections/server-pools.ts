// A TenantConnectionManager per database server, each within its share of that server's connection budget: a cold
// tenant on one server never waits for another server's pools, and a server that is down fails only its own tenants.
import { ConnectionManagerClosedError } from '../errors.ts'
import type { ConnectionManagerStats, TenantConnectionManager, TenantLease } from './tenant-connection-manager.ts'
import type { TenantConnection } from './tenant-pool.ts'

export interface PooledTenant {
  slug: string
  serverId: string
}

export class ServerPools {
  readonly #managers = new Map<string, TenantConnectionManager>()
  readonly #create: (serverId: string) => TenantConnectionManager
  #closed = false

  /** `create` makes the manager for a server the first time one of its tenants needs a pool. */
  constructor (create: (serverId: string) => TenantConnectionManager) {
    this.#create = create
  }

  /** The tenant's connection on its own server's pools, until `release` (see TenantConnectionManager.lease). */
  lease (tenant: PooledTenant, deadline?: number): Promise<TenantLease> {
    return this.managerFor(tenant.serverId).lease(tenant.slug, deadline)
  }

  managerFor (serverId: string): TenantConnectionManager {
    let manager = this.#managers.get(serverId)
    if (manager === undefined) {
      if (this.#closed) throw new ConnectionManagerClosedError()
      manager = this.#create(serverId)
      this.#managers.set(serverId, manager)
    }
    return manager
  }

  /** Closes the tenant's pool, wherever it is (a tenant moved or deleted may have one on any server). */
  evict (slug: string): void {
    for (const manager of this.#managers.values()) manager.evict(slug)
  }

  evictBroken (connection: TenantConnection): void {
    for (const manager of this.#managers.values()) manager.evictBroken(connection)
  }

  /** Each server's share of its budget, in pools, as instances come and go. */
  resize (serverId: string, maxTenants: number): void {
    this.#managers.get(serverId)?.resize(maxTenants)
  }

  /** Figures per server, by server id. */
  byServer (): Map<string, ConnectionManagerStats> {
    return new Map([...this.#managers].map(([id, manager]) => [id, manager.stats()]))
  }

  /** Every server's figures added up. */
  stats (): ConnectionManagerStats {
    const total: ConnectionManagerStats = {
      openPools: 0,
      opening: 0,
      draining: 0,
      leases: 0,
      hits: 0,
      misses: 0,
      evictions: 0,
      openFailures: 0,
      maxTenants: 0,
      maxConnectionsPerTenant: 0,
      connectionBudget: 0,
    }
    for (const stats of this.#managers.values()) {
      const figures = stats.stats()
      for (const key of Object.keys(total) as Array<keyof ConnectionManagerStats>) total[key] = key === 'maxConnectionsPerTenant' ? Math.max(total[key], figures[key]) : total[key] + figures[key]
    }
    return total
  }

  async close (): Promise<void> {
    this.#closed = true
    await Promise.all([...this.#managers.values()].map((manager) => manager.close()))
  }
}
