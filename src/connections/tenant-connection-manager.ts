// One postgres.js pool per tenant database, opened lazily, kept in an LRU, and never more than the connection budget.
import { performance } from 'node:perf_hooks'
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import { LRUCache } from 'lru-cache'
import postgres, { type Sql } from 'postgres'
import { ConnectionManagerClosedError, TenantDatabaseUnavailableError } from '../errors.ts'
import * as tenantSchema from '../tenant-database/schema.ts'
import { ConnectionSlots } from './connection-slots.ts'
import { EvictionPolicy } from './eviction-policy.ts'

export type TenantDb = PostgresJsDatabase<typeof tenantSchema>

/** Where and as whom a tenant's pool connects. */
export interface TenantConnectionTarget {
  host: string
  port: number
  database: string
  username: string
  password: string
}

export interface TenantConnection {
  slug: string
  sql: Sql
  db: TenantDb
}

export interface TenantLease {
  connection: TenantConnection
  /** Idempotent. An evicted pool closes once its last lease is released (or its drain timeout passes). */
  release (): void
}

export interface ConnectionManagerObserver {
  opened? (slug: string, seconds: number): void
  openFailed? (slug: string, error: unknown): void
  evicted? (slug: string): void
}

export interface TenantConnectionManagerOptions {
  maxTenants: number
  maxConnectionsPerTenant: number
  idleTimeoutSeconds: number
  connectTimeoutSeconds: number
  drainTimeoutSeconds: number
  /**
   * How long opens may be queued with no slot changing hands before kept pools close for them (default 1 s). Under
   * load the window's pools turn over within a request's time; a long query in each must not hold newcomers up for
   * its whole length, while a long queue that keeps moving must not cost the busiest tenants their pools.
   */
  keptPoolPatienceMs?: number
  /**
   * Where the tenant's database is. Throws (a typed not-found or suspended error) for a tenant
   * that must not get a pool; may bring the database up to date before answering.
   */
  locate (slug: string): Promise<TenantConnectionTarget>
  observer?: ConnectionManagerObserver
  applicationName?: string
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

interface PoolEntry {
  connection: TenantConnection
  leases: number
  /** Set once the entry has left the LRU: it is draining and will close. */
  drain?: { done: Promise<void>, finished: () => void, timer: NodeJS.Timeout, ending: boolean }
}

export class TenantConnectionManager {
  readonly #options: TenantConnectionManagerOptions
  readonly #pools: LRUCache<string, PoolEntry>
  readonly #opening = new Map<string, Promise<PoolEntry>>()
  readonly #slots: ConnectionSlots
  /** Slots kept free, so that a cold tenant's open does not wait for another pool to close first (5%, none below 20). */
  readonly #spare: number
  /**
   * Tenants whose pool was closed to keep a spare slot. When one comes back, the tenants in use fit in the slots and a
   * spare would only churn them: none is kept until a tenant not seen among these arrives.
   */
  readonly #sparedFor: LRUCache<string, true>
  #spareWanted = true
  readonly #policy: EvictionPolicy
  readonly #draining = new Set<PoolEntry>()
  /** Set when opens have been queued for `keptPoolPatienceMs` with no slot changing hands: kept pools may close for them. */
  #stalled = false
  #stallTimer: NodeJS.Timeout | undefined
  /** Opens in flight whose tenant was evicted meanwhile: their pool must not be cached. */
  readonly #cancelled = new Set<Promise<PoolEntry>>()
  #closed = false
  #hits = 0
  #misses = 0
  #evictions = 0
  #openFailures = 0

  constructor (options: TenantConnectionManagerOptions) {
    this.#options = options
    this.#slots = new ConnectionSlots(options.maxTenants)
    this.#spare = Math.floor(options.maxTenants / 20)
    this.#sparedFor = new LRUCache({ max: options.maxTenants })
    this.#policy = new EvictionPolicy(options.maxTenants)
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

  /** The tenant's connection, kept open (even if evicted meanwhile) until `release` is called. */
  async lease (slug: string): Promise<TenantLease> {
    this.#policy.record(slug)
    for (;;) {
      if (this.#closed) throw new ConnectionManagerClosedError()
      let entry = this.#pools.get(slug)
      if (entry !== undefined) {
        this.#hits++
      } else {
        entry = await this.#openOnce(slug)
      }
      // An entry retired between its open and this line is closing: go round and get a fresh one.
      if (entry.drain !== undefined) continue
      entry.leases++
      // Shared by requests at once, the narrow pool of a tenant now among the busiest: it drains, and the next
      // request opens the tenant a wide one.
      const width = entry.connection.sql.options.max
      if (entry.leases > 1 && width < this.#options.maxConnectionsPerTenant && this.#widthFor(slug) > width) {
        this.#pools.delete(slug)
      }
      let released = false
      const leased = entry
      return {
        connection: entry.connection,
        release: () => {
          if (released) return
          released = true
          leased.leases--
          if (leased.leases > 0) return
          if (leased.drain !== undefined) this.#end(leased, this.#options.drainTimeoutSeconds)
          else this.#evictIdle()
        },
      }
    }
  }

  /** Closes the tenant's pool gracefully (in-flight work finishes); the next request opens a new one. */
  evict (slug: string): void {
    this.#pools.delete(slug)
    const opening = this.#opening.get(slug)
    if (opening !== undefined) this.#cancelled.add(opening)
  }

  /** Closes every pool, waiting for in-flight work up to the drain timeout. Later calls to `get` fail. */
  async close (): Promise<void> {
    this.#closed = true
    clearTimeout(this.#stallTimer)
    // Pools first: opens queued for a slot get one as these drain, then see the manager closed.
    this.#pools.clear()
    await Promise.allSettled(this.#opening.values())
    await Promise.all([...this.#draining].map((entry) => entry.drain?.done))
  }

  stats (): ConnectionManagerStats {
    let leases = 0
    for (const entry of this.#pools.values()) leases += entry.leases
    return {
      openPools: this.#pools.size,
      opening: this.#opening.size,
      draining: this.#draining.size,
      leases,
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      openFailures: this.#openFailures,
      maxTenants: this.#options.maxTenants,
      maxConnectionsPerTenant: this.#options.maxConnectionsPerTenant,
      connectionBudget: this.#options.maxTenants * this.#options.maxConnectionsPerTenant,
    }
  }

  /** Single flight: concurrent first requests for a cold tenant share one open. */
  #openOnce (slug: string): Promise<PoolEntry> {
    const inFlight = this.#opening.get(slug)
    if (inFlight !== undefined) return inFlight
    this.#misses++
    this.#spareWanted = !this.#sparedFor.delete(slug)
    const opening = this.#open(slug).finally(() => {
      this.#opening.delete(slug)
      this.#cancelled.delete(opening)
    })
    this.#opening.set(slug, opening)
    return opening
  }

  async #open (slug: string): Promise<PoolEntry> {
    const target = await this.#options.locate(slug)
    await this.#claimSlot()
    if (this.#closed) {
      this.#slots.release()
      throw new ConnectionManagerClosedError()
    }
    const started = performance.now()
    const sql = postgres({
      host: target.host,
      port: target.port,
      database: target.database,
      username: target.username,
      password: target.password,
      max: this.#widthFor(slug),
      idle_timeout: this.#options.idleTimeoutSeconds,
      connect_timeout: this.#options.connectTimeoutSeconds,
      onnotice: () => {},
      // No array types of our own: skip the pg_type query postgres.js would run on every new connection.
      fetch_types: false,
      connection: { application_name: this.#options.applicationName ?? 'tenancy' },
    })
    try {
      // postgres.js connects lazily; connecting now means a bad database or credential fails this open, uncached.
      await sql`select 1`
    } catch (error) {
      this.#openFailures++
      this.#options.observer?.openFailed?.(slug, error)
      void sql.end({ timeout: 0 }).catch(() => {}).finally(() => { this.#slots.release() })
      throw new TenantDatabaseUnavailableError({ cause: error })
    }
    const entry: PoolEntry = { connection: { slug, sql, db: drizzle(sql, { schema: tenantSchema }) }, leases: 0 }
    this.#options.observer?.opened?.(slug, (performance.now() - started) / 1000)
    const opening = this.#opening.get(slug)
    if (this.#closed || (opening !== undefined && this.#cancelled.has(opening))) {
      // Evicted (or shut down) while opening: hand it to nobody new; it closes as soon as it is unleased.
      this.#retire(entry)
    } else {
      this.#pools.set(slug, entry)
      // After the waiters on this open have taken their leases, pools may be evicted for queued opens.
      setImmediate(() => { this.#evictIdle() })
    }
    return entry
  }

  /**
   * A window pool gets one connection: its tenant is asked for rarely, requests that share its open would each
   * make postgres.js open another connection (a backend start, several ms) to save each other well under one, and
   * the pool soon closes anyway. Kept tenants get `maxConnectionsPerTenant`; with one slot, there is no window.
   */
  #widthFor (slug: string): number {
    const { maxConnectionsPerTenant } = this.#options
    if (this.#policy.kept === 0 || this.#policy.keeps(slug)) return maxConnectionsPerTenant
    return 1
  }

  async #claimSlot (): Promise<void> {
    if (this.#slots.tryTake()) return
    const handedOver = this.#slots.wait()
    this.#evictIdle()
    this.#stallTimer ??= this.#watchForStall()
    await handedOver
    // A slot changed hands: the queue is moving. Watch the opens still queued afresh.
    this.#stalled = false
    clearTimeout(this.#stallTimer)
    this.#stallTimer = this.#slots.waiting > 0 && !this.#closed ? this.#watchForStall() : undefined
  }

  #watchForStall (): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#stalled = true
      this.#evictIdle()
    }, this.#options.keptPoolPatienceMs ?? 1000)
    timer.unref()
    return timer
  }

  /**
   * Each queued open needs one pool to close, and the spare slots should be free: the policy picks idle pools to
   * close (never a busy one: it is hot, and closing it only makes its next request open it again) from the window,
   * and from the kept pools too once the queue has stalled. When none qualifies, the queued open waits: requests are
   * short, and each release calls this again.
   */
  #evictIdle (): void {
    const forWaiters = this.#slots.waiting - this.#slots.free - this.#draining.size
    const needed = forWaiters + (this.#spareWanted ? this.#spare : 0)
    if (needed <= 0) return
    const pools = Array.from(this.#pools.rentries() as Generator<[string, PoolEntry]>, ([slug, entry]) => ({ slug, idle: entry.leases === 0 }))
    // Opens queue only when no slot is free, so forWaiters is also how many kept pools a stalled queue may close.
    for (const [i, slug] of this.#policy.choose(pools, needed, this.#stalled ? forWaiters : 0).entries()) {
      if (i >= forWaiters) this.#sparedFor.set(slug, true)
      this.#pools.delete(slug)
    }
  }

  /** Out of the LRU: ends now if unleased, else when its last lease is released or the drain timeout passes. */
  #retire (entry: PoolEntry): void {
    if (entry.drain !== undefined) return
    let finished!: () => void
    const done = new Promise<void>((resolve) => { finished = resolve })
    const timer = setTimeout(() => { this.#end(entry, 0) }, this.#options.drainTimeoutSeconds * 1000)
    timer.unref()
    entry.drain = { done, finished, timer, ending: false }
    // Its slot stays taken until the pool has fully closed, so the connection budget holds while it drains.
    this.#draining.add(entry)
    this.#evictions++
    this.#options.observer?.evicted?.(entry.connection.slug)
    if (entry.leases === 0) this.#end(entry, this.#options.drainTimeoutSeconds)
  }

  /** postgres.js lets queries already sent finish, up to `timeoutSeconds`. Never rejects: lru-cache does not await disposal. */
  #end (entry: PoolEntry, timeoutSeconds: number): void {
    const drain = entry.drain
    if (drain === undefined || drain.ending) return
    drain.ending = true
    clearTimeout(drain.timer)
    void entry.connection.sql.end({ timeout: timeoutSeconds }).catch(() => {}).finally(() => {
      this.#draining.delete(entry)
      this.#slots.release()
      drain.finished()
    })
  }
}
