// Cached look-ups of tenants by slug: the request path asks the master database at most once per TTL per tenant,
// and a change anywhere (see tenant-events.ts) drops the cached entry at once.
import { LRUCache } from 'lru-cache'
import { TenantNotFoundError, TenantSuspendedError } from '../errors.ts'
import { isServing, type TenantLocation, type TenantsRepository } from './tenants-repository.ts'

const MAX_CACHED_TENANTS = 50_000
const NOT_FOUND = Symbol('not found')

type Entry = TenantLocation | typeof NOT_FOUND

export type TenantDirectory = ReturnType<typeof createTenantDirectory>

export function createTenantDirectory (tenants: Pick<TenantsRepository, 'findLocation'>, ttlSeconds: number) {
  // Unknown slugs are cached too, so random names do not reach the master database on every request.
  const cache = new LRUCache<string, Entry>({ max: MAX_CACHED_TENANTS, ttl: Math.max(1, ttlSeconds * 1000) })
  // Single flight per slug. A look-up that was in flight when its tenant changed answers its own callers (they asked
  // before the change) but is not cached: `generation` tells it apart.
  const inFlight = new Map<string, Promise<Entry>>()
  let generation = 0

  async function fetch (slug: string): Promise<Entry> {
    const started = generation
    try {
      const found = (await tenants.findLocation(slug)) ?? NOT_FOUND
      if (generation === started && ttlSeconds > 0) cache.set(slug, found)
      return found
    } finally {
      inFlight.delete(slug)
    }
  }

  async function lookup (slug: string): Promise<TenantLocation | undefined> {
    let found = cache.get(slug)
    if (found === undefined) {
      let pending = inFlight.get(slug)
      if (pending === undefined) {
        pending = fetch(slug)
        inFlight.set(slug, pending)
      }
      found = await pending
    }
    return found === NOT_FOUND ? undefined : found
  }

  return {
    lookup,
    /** The tenant, if it may be served now: unknown, half-made or half-deleted is a 404, suspended a 403. */
    async serving (slug: string): Promise<TenantLocation> {
      const tenant = await lookup(slug)
      if (tenant === undefined || !isServing(tenant.status)) throw new TenantNotFoundError()
      if (tenant.status === 'suspended') throw new TenantSuspendedError()
      return tenant
    },
    /** Forget what is known of a tenant that changed. */
    invalidate (slug: string): void {
      generation++
      inFlight.delete(slug)
      cache.delete(slug)
    },
    /** Forget everything: after missing notifications (the listening connection was lost), nothing cached is trusted. */
    clear (): void {
      generation++
      inFlight.clear()
      cache.clear()
    },
  }
}
