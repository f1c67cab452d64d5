// Cached look-ups of tenants by slug: the request path asks the master database at most once per TTL per tenant.
import { LRUCache } from 'lru-cache'
import { TenantNotFoundError, TenantSuspendedError } from '../errors.ts'
import type { TenantLocation, TenantsRepository } from './tenants-repository.ts'

const MAX_CACHED_TENANTS = 50_000
const NOT_FOUND = Symbol('not found')

export type TenantDirectory = ReturnType<typeof createTenantDirectory>

export function createTenantDirectory (tenants: TenantsRepository, ttlSeconds: number) {
  // Unknown slugs are cached too, so random names do not reach the master database on every request.
  const cache = new LRUCache<string, TenantLocation | typeof NOT_FOUND>({
    max: MAX_CACHED_TENANTS,
    ttl: Math.max(1, ttlSeconds * 1000),
    fetchMethod: async (slug) => (await tenants.findLocation(slug)) ?? NOT_FOUND,
  })
  async function lookup (slug: string): Promise<TenantLocation | undefined> {
    if (ttlSeconds === 0) return tenants.findLocation(slug)
    const found = await cache.fetch(slug)
    return found === NOT_FOUND ? undefined : found
  }
  return {
    lookup,
    /** The tenant, if it may be served now: unknown, half-made or half-deleted is a 404, suspended a 403. */
    async serving (slug: string): Promise<TenantLocation> {
      const tenant = await lookup(slug)
      if (tenant === undefined || tenant.status === 'provisioning' || tenant.status === 'deleting') throw new TenantNotFoundError()
      if (tenant.status === 'suspended') throw new TenantSuspendedError()
      return tenant
    },
    /** Forget what is cached about a tenant after changing it in this process. */
    invalidate (slug: string): void {
      cache.delete(slug)
    },
  }
}
