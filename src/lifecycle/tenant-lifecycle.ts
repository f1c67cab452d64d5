// Everything that changes a tenant's existence or status, for the HTTP routes and the CLI alike: each change is written
// to the master database under the tenant's lock, then applied to this process's caches and told to every other process.
import { ConflictError, TenantNotFoundError } from '../errors.ts'
import type { Tenant } from '../master/schema.ts'
import { isServing } from '../master/tenants-repository.ts'
import type { TenantEvents } from '../master/tenant-events.ts'
import { isValidSlug } from '../tenant-database/identity.ts'
import type { Reconciled } from './connection-limits.ts'
import { createProvisioner, type ProvisionerOptions, type ProvisionRequest } from './provisioner.ts'

export interface TenantChanges {
  name?: string
  status?: 'active' | 'suspended'
}

export interface LifecycleObserver {
  provisioned? (result: 'created' | 'conflict' | 'failed', seconds: number): void
}

export interface TenantLifecycleOptions extends Omit<ProvisionerOptions, 'onTenantChanged'> {
  events: TenantEvents
  /** Brings every tenant's CONNECTION LIMIT to what the configuration and the live instances need. */
  reconcile (raiseOnly: boolean): Promise<Reconciled>
  /** Drops what this process has cached about the tenant (its directory entry and its pool). */
  forget (slug: string): void
  observer?: LifecycleObserver
}

export type TenantLifecycle = ReturnType<typeof createTenantLifecycle>

export function createTenantLifecycle (options: TenantLifecycleOptions) {
  const { withTenantLock, events } = options
  const provisioner = createProvisioner({ ...options, onTenantChanged: changed })
  const busy = () => new ConflictError('The tenant is being changed by another request; retry shortly')

  return {
    /** `deadline` (performance.now() ms) bounds the wait for a turn, as for every change below. */
    async provision (request: ProvisionRequest, deadline?: number) {
      const started = performance.now()
      const seconds = () => (performance.now() - started) / 1000
      try {
        const result = await provisioner.provision(request, deadline)
        options.observer?.provisioned?.('created', seconds())
        return result
      } catch (error) {
        options.observer?.provisioned?.((error as { statusCode?: number }).statusCode === 409 ? 'conflict' : 'failed', seconds())
        throw error
      }
    },

    /** Renames, suspends or reactivates. A suspended tenant's requests get 403 and its pools close, in every process. */
    async update (slug: string, changes: TenantChanges, deadline?: number): Promise<Tenant> {
      if (!isValidSlug(slug)) throw new TenantNotFoundError()
      const updated = await withTenantLock(slug, busy, async (session) => {
        const tenant = await session.tenants.findBySlug(slug)
        if (tenant === undefined || !isServing(tenant.status)) throw new TenantNotFoundError()
        return session.tenants.update(slug, changes)
      }, deadline)
      if (updated === undefined) throw new TenantNotFoundError()
      await changed(slug)
      return updated
    },

    /** Deletes the tenant: it stops being served everywhere first, then its database, role, users and tokens go. */
    remove (slug: string, deadline?: number): Promise<void> {
      return provisioner.deprovision(slug, deadline)
    },

    /**
     * Sets every tenant's server-side connection cap for the live instances: raised only when an instance starts, set
     * exactly by `tenancy migrate`.
     */
    reconcileConnectionLimits (raiseOnly: boolean): Promise<Reconciled> {
      return options.reconcile(raiseOnly)
    },

    /** Finishes what crashed processes left: interrupted provisionings are undone, interrupted deletions completed. */
    recover (): Promise<string[]> {
      return provisioner.recover()
    },

    changed,
  }

  /** Applies a change to this process at once, and tells the others. */
  async function changed (slug: string): Promise<void> {
    options.forget(slug)
    await events.publish(slug)
  }
}
