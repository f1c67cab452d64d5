// A counting semaphore over pool slots with bounded waits: a pool holds its slot from before it opens until it has
// fully closed, and an open that cannot get one by its deadline fails instead of waiting forever.
import { PoolsBusyError } from '../errors.ts'

interface Waiter {
  grant (): void
  timer: NodeJS.Timeout | undefined
}

export interface ConnectionSlotsOptions {
  capacity: number
  /**
   * How long opens may stay queued with no slot changing hands before the queue counts as stalled. Under load the
   * window's pools turn over within a request's time; a long query in each must not hold newcomers up for its whole
   * length, while a long queue that keeps moving must not cost the busiest tenants their pools.
   */
  patienceMs: number
  /** Called when an open joins the queue and when the queue stalls: the moments to close idle pools for it. */
  onPressure (): void
}

export class ConnectionSlots {
  readonly capacity: number
  readonly #options: ConnectionSlotsOptions
  #inUse = 0
  /** First come, first served; a Set so that a waiter whose deadline passes leaves the queue in O(1). */
  readonly #waiters = new Set<Waiter>()
  #stalled = false
  #stallTimer: NodeJS.Timeout | undefined

  constructor (options: ConnectionSlotsOptions) {
    this.capacity = options.capacity
    this.#options = options
  }

  get free (): number {
    return this.capacity - this.#inUse
  }

  get waiting (): number {
    return this.#waiters.size
  }

  /** True once opens have been queued for `patienceMs` with no slot changing hands. */
  get stalled (): boolean {
    return this.#stalled
  }

  /** Takes a slot, queueing until one is released; rejects with a 503 once `deadline` (performance.now() ms) passes. */
  take (deadline = Number.POSITIVE_INFINITY): Promise<void> {
    if (this.#inUse < this.capacity) {
      this.#inUse++
      return Promise.resolve()
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { grant: resolve, timer: undefined }
      if (Number.isFinite(deadline)) {
        waiter.timer = setTimeout(() => {
          this.#waiters.delete(waiter)
          if (this.#waiters.size === 0) this.#calm()
          reject(new PoolsBusyError())
        }, Math.max(0, deadline - performance.now()))
      }
      this.#waiters.add(waiter)
      this.#stallTimer ??= this.#watch()
      this.#options.onPressure()
    })
  }

  /** Hands the slot to the longest waiter, or frees it. */
  release (): void {
    const next = this.#waiters.values().next()
    if (next.done === true) {
      this.#inUse--
      return
    }
    const waiter = next.value
    this.#waiters.delete(waiter)
    clearTimeout(waiter.timer)
    // A slot changed hands: the queue is moving. Watch the opens still queued afresh.
    this.#calm()
    if (this.#waiters.size > 0) this.#stallTimer = this.#watch()
    waiter.grant()
  }

  /** Stops watching for stalls; waiters still queued keep their deadlines. */
  close (): void {
    this.#calm()
  }

  #calm (): void {
    this.#stalled = false
    clearTimeout(this.#stallTimer)
    this.#stallTimer = undefined
  }

  #watch (): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#stalled = true
      this.#options.onPressure()
    }, this.#options.patienceMs)
    timer.unref()
    return timer
  }
}
