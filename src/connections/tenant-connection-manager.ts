// One pool per tenant database, opened lazily, kept in an LRU, and never more than the connection budget.
import { performance } from 'node:perf_hooks'
import { LRUCache } from 'lru-cache'
import { ConnectionManagerClosedError, TenantDatabaseUnavailableError } from '../errors.ts'
import { ConnectionSlots } from './connection-slots.ts'
import { EvictionPolicy, type PoolState } from './eviction-policy.ts'
import { PoolEntry, type TenantLease } from './pool-entry.ts'
import type { Connect, TenantConnection, TenantConnectionTarget } from './tenant-pool.ts'

export type { TenantLease } from './pool-entry.ts'

export interface ConnectionManagerObserver {
  opened? (slug: string, seconds: number): void
  openFailed? (slug: string, error: unknown): void
  evicted? (slug: string): void
}

export interface TenantConnectionManagerOptions {
  /** The most pools open at once; `resize` moves the slots within it (to the instance's share of a server's budget). */
  maxTenants: number
  /** The slots to start with, if fewer than `maxTenants`. */
  slots?: number
  maxConnectionsPerTenant: number
  drainTimeoutSeconds: number
  /** How long opens may be queued with no slot changing hands before kept pools close for them (default 1 s). */
  keptPoolPatienceMs?: number
  /**
   * Where the tenant's database is. Throws (a typed not-found or suspended error) for a tenant
   * that must not get a pool; may bring the database up to date before answering.
   */
  locate (slug: string): Promise<TenantConnectionTarget>
  /** Opens the pool itself: postgres.js in production (`postgresConnector`), anything in unit tests. */
  connect: Connect
  observer?: ConnectionManagerObserver
}

export interface ConnectionManagerStats {
  openPools: number
  opening: number
  draining: number
  leases: number
  hits: number
  misses: number
  evictions: number
  openFailures: number
  maxTenants: number
  maxConnectionsPerTenant: number
  connectionBudget: number
}

export class TenantConnectionManager {
  readonly #options: TenantConnectionManagerOptions
  readonly #pools: LRUCache<string, PoolEntry>
  readonly #opening = new Map<string, Promise<PoolEntry>>()
  /** Opens in flight whose tenant was evicted meanwhile: their pool must not be cached. */
  readonly #cancelled = new Set<Promise<PoolEntry>>()
  readonly #draining = new Set<PoolEntry>()
  readonly #slots: ConnectionSlots
  readonly #policy: EvictionPolicy
  #closed = false
  #hits = 0
  #misses = 0
  #evictions = 0
  #openFailures = 0

  constructor (options: TenantConnectionManagerOptions) {
    this.#options = options
    const slots = Math.min(options.maxTenants, options.slots ?? options.maxTenants)
    this.#policy = new EvictionPolicy(slots)
    this.#slots = new ConnectionSlots({
      capacity: slots,
      patienceMs: options.keptPoolPatienceMs ?? 1000,
      onPressure: () => { this.#evictIdle() },
    })
    this.#pools = new LRUCache<string, PoolEntry>({
      // A safety net only: slots keep live pools below this, so the LRU never evicts on its own.
      max: options.maxTenants,
      // Synchronous and not awaited by lru-cache: retiring schedules the close and never throws.
      dispose: (entry) => { this.#retire(entry) },
    })
  }

  /** The tenant's connection, for callers that issue their queries at once. Prefer `lease` around a request. */
  async get (slug: string): Promise<TenantConnection> {
    const lease = await this.lease(slug)
    lease.release()
    return lease.connection
  }

  /**
   * The tenant's connection, kept open (even if evicted meanwhile) until `release` is called. Waiting for a slot
   * ends at `deadline` (performance.now() ms) with a 503.
   */
  async lease (slug: string, deadline?: number): Promise<TenantLease> {
    this.#policy.record(slug)
    for (;;) {
      if (this.#closed) throw new ConnectionManagerClosedError()
      let entry = this.#pools.get(slug)
      if (entry !== undefined) {
        this.#hits++
      } else {
        entry = await this.#openOnce(slug, deadline)
      }
      // An entry retired between its open and this line is closing: go round and get a fresh one.
      if (!entry.open) continue
      const lease = entry.lease()
      // Shared by requests at once, the narrow pool of a tenant now among the busiest: it drains, and the next
      // request opens the tenant a wide one.
      if (entry.leases > 1 && entry.connection.width < this.#policy.widthFor(slug, this.#options.maxConnectionsPerTenant)) {
        this.#pools.delete(slug)
      }
      return lease
    }
  }

  /** Closes the tenant's pool gracefully (in-flight work finishes); the next request opens a new one. */
  evict (slug: string): void {
    this.#pools.delete(slug)
    const opening = this.#opening.get(slug)
    if (opening !== undefined) this.#cancelled.add(opening)
  }

  /**
   * Closes a pool whose connection was lost (its server restarted, its database was dropped) at once, failing what
   * still waits on it: postgres.js can otherwise keep a query waiting forever on a connection it cannot re-open. Only
   * if `connection` is still the tenant's pool; the next request opens a new one.
   */
  evictBroken (connection: TenantConnection): void {
    // Out of the cache first (it then drains, like any evicted pool), then closed without waiting.
    if (this.#pools.peek(connection.slug)?.connection === connection) this.#pools.delete(connection.slug)
    for (const entry of this.#draining) if (entry.connection === connection) entry.retire(true)
  }

  /**
   * Changes how many pools may be open (from 1 to `maxTenants`): more let queued opens in at once; fewer close idle
   * pools now and the busy ones as they go idle, and the budget holds again once they have.
   */
  resize (slots: number): void {
    const capacity = Math.max(1, Math.min(this.#options.maxTenants, Math.floor(slots)))
    if (capacity === this.#slots.capacity) return
    this.#slots.resize(capacity)
    this.#policy.resize(capacity)
    this.#evictIdle()
  }

  /** Closes every pool, waiting for in-flight work up to the drain timeout. Later calls to `lease` fail. */
  async close (): Promise<void> {
    this.#closed = true
    this.#slots.close()
    // Pools first: opens queued for a slot get one as these drain, then see the manager closed.
    this.#pools.clear()
    await Promise.allSettled(this.#opening.values())
    await Promise.all([...this.#draining].map((entry) => entry.closed))
  }

  stats (): ConnectionManagerStats {
    let leases = 0
    for (const entry of this.#pools.values()) leases += entry.leases
    for (const entry of this.#draining) leases += entry.leases
    const { maxConnectionsPerTenant } = this.#options
    const maxTenants = this.#slots.capacity
    return {
      openPools: this.#pools.size,
      opening: this.#opening.size,
      draining: this.#draining.size,
      leases,
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      openFailures: this.#openFailures,
      maxTenants,
      maxConnectionsPerTenant,
      connectionBudget: maxTenants * maxConnectionsPerTenant,
    }
  }

  /** Single flight: concurrent first requests for a cold tenant share one open (and the first one's deadline). */
  #openOnce (slug: string, deadline: number | undefined): Promise<PoolEntry> {
    const inFlight = this.#opening.get(slug)
    if (inFlight !== undefined) return inFlight
    this.#misses++
    this.#policy.opening(slug)
    const opening = this.#open(slug, deadline).finally(() => {
      this.#opening.delete(slug)
      this.#cancelled.delete(opening)
    })
    this.#opening.set(slug, opening)
    return opening
  }

  async #open (slug: string, deadline: number | undefined): Promise<PoolEntry> {
    const target = await this.#options.locate(slug)
    await this.#slots.take(deadline)
    if (this.#closed) {
      this.#slots.release()
      throw new ConnectionManagerClosedError()
    }
    const started = performance.now()
    let connection: TenantConnection
    try {
      connection = await this.#options.connect(slug, target, this.#policy.widthFor(slug, this.#options.maxConnectionsPerTenant))
    } catch (error) {
      this.#openFailures++
      this.#options.observer?.openFailed?.(slug, error)
      this.#slots.release()
      throw new TenantDatabaseUnavailableError({ cause: error })
    }
    const entry = new PoolEntry(connection, this.#options.drainTimeoutSeconds, {
      idle: () => { this.#evictIdle() },
      closed: (closed) => {
        this.#draining.delete(closed)
        this.#slots.release()
      },
    })
    this.#options.observer?.opened?.(slug, (performance.now() - started) / 1000)
    const opening = this.#opening.get(slug)
    if (this.#closed || (opening !== undefined && this.#cancelled.has(opening))) {
      // Evicted (or shut down) while opening: hand it to nobody new; it closes as soon as it is unleased.
      this.#retire(entry)
    } else {
      this.#pools.set(slug, entry)
      // After the waiters on this open have taken their leases, pools may be closed for queued opens.
      setImmediate(() => { this.#evictIdle() })
    }
    return entry
  }

  /** Closes the idle pools the policy picks for queued opens and the spare slots. */
  #evictIdle (): void {
    const pressure = { waiting: this.#slots.waiting, free: this.#slots.free, draining: this.#draining.size, stalled: this.#slots.stalled }
    for (const slug of this.#policy.toClose(pressure, this.#poolStates)) this.#pools.delete(slug)
  }

  /** Every open pool, least recently used first (made once: #evictIdle runs on every release). */
  readonly #poolStates = (): PoolState[] => Array.from(
    this.#pools.rentries() as Generator<[string, PoolEntry]>,
    ([slug, entry]) => ({ slug, idle: entry.leases === 0 }),
  )

  /** Out of the LRU: drains, then closes (see PoolEntry.retire). */
  #retire (entry: PoolEntry): void {
    if (!entry.open) return
    this.#draining.add(entry)
    this.#evictions++
    this.#options.observer?.evicted?.(entry.connection.slug)
    entry.retire()
  }
}
