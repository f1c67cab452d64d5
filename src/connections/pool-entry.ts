// One tenant's pool inside the manager, and its lifecycle: open and leased by requests, then draining once it has left
// the cache (its leases finish, up to a deadline), then closed, when its slot is given back.
import type { TenantConnection } from './tenant-pool.ts'

export interface TenantLease {
  connection: TenantConnection
  /** Idempotent. A retired pool closes once its last lease is released (or its drain timeout passes). */
  release (): void
}

export interface PoolEntryEvents {
  /** The last lease of a pool still in service was released: pools may now be closed for queued opens. */
  idle (): void
  /** The pool has fully closed: its slot is free. */
  closed (entry: PoolEntry): void
}

type State = 'open' | 'draining' | 'closing'

/** A class rather than a closure per lease: one is made for every request. */
class Lease implements TenantLease {
  readonly connection: TenantConnection
  #entry: PoolEntry | undefined

  constructor (entry: PoolEntry) {
    this.connection = entry.connection
    this.#entry = entry
  }

  release (): void {
    const entry = this.#entry
    this.#entry = undefined
    entry?.released()
  }
}

export class PoolEntry {
  readonly connection: TenantConnection
  readonly #drainTimeoutSeconds: number
  readonly #events: PoolEntryEvents
  #leases = 0
  #state: State = 'open'
  #drainTimer: NodeJS.Timeout | undefined
  #closed!: () => void
  /** Settles once the pool has fully closed. */
  readonly closed = new Promise<void>((resolve) => { this.#closed = resolve })

  constructor (connection: TenantConnection, drainTimeoutSeconds: number, events: PoolEntryEvents) {
    this.connection = connection
    this.#drainTimeoutSeconds = drainTimeoutSeconds
    this.#events = events
  }

  get leases (): number {
    return this.#leases
  }

  /** Still in service: new leases may be taken. */
  get open (): boolean {
    return this.#state === 'open'
  }

  lease (): TenantLease {
    this.#leases++
    return new Lease(this)
  }

  /** One lease fewer (Lease.release calls it once per lease). */
  released (): void {
    if (--this.#leases > 0) return
    if (this.#state === 'open') this.#events.idle()
    else this.#close(this.#drainTimeoutSeconds)
  }

  /**
   * Takes the pool out of service: it closes now if unleased, else when its last lease is released, and at the latest
   * after the drain timeout, whatever is still running. Its slot stays taken until then, so the budget holds. A broken
   * pool closes at once, leased or not, and every query still waiting on it fails. Returns false when it was already
   * retired.
   */
  retire (broken = false): boolean {
    if (broken && this.#state !== 'closing') {
      // Its connections are lost: what is still in flight on it has failed or never will finish. End it now.
      this.#state = 'draining'
      this.#close(0)
      return true
    }
    if (this.#state !== 'open') return false
    this.#state = 'draining'
    if (this.#leases === 0) {
      this.#close(this.#drainTimeoutSeconds)
    } else {
      this.#drainTimer = setTimeout(() => { this.#close(0) }, this.#drainTimeoutSeconds * 1000)
      this.#drainTimer.unref()
    }
    return true
  }

  /** Queries already sent get `timeoutSeconds` to finish. */
  #close (timeoutSeconds: number): void {
    if (this.#state === 'closing') return
    this.#state = 'closing'
    clearTimeout(this.#drainTimer)
    void this.connection.close(timeoutSeconds).finally(() => {
      this.#events.closed(this)
      this.#closed()
    })
  }
}
