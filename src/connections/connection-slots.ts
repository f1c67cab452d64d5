// Pool slots: a pool holds one from before it opens until it has fully closed, and an open that cannot get one by its
// deadline fails instead of waiting forever. The slots also tell when the queue of opens has stopped moving.
import { PoolsBusyError } from '../errors.ts'
import { Semaphore } from '../semaphore.ts'

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

export class ConnectionSlots extends Semaphore {
  readonly #options: ConnectionSlotsOptions
  #stalled = false
  #stallTimer: NodeJS.Timeout | undefined

  constructor (options: ConnectionSlotsOptions) {
    super(options.capacity, () => new PoolsBusyError())
    this.#options = options
  }

  /** True once opens have been queued for `patienceMs` with no slot changing hands. */
  get stalled (): boolean {
    return this.#stalled
  }

  /** Stops watching for stalls; waiters still queued keep their deadlines. */
  close (): void {
    this.#calm()
  }

  protected override queued (): void {
    this.#stallTimer ??= this.#watch()
    this.#options.onPressure()
  }

  /** A slot changed hands: the queue is moving. Watch the opens still queued afresh. */
  protected override handedOver (): void {
    this.#calm()
    if (this.waiting > 0) this.#stallTimer = this.#watch()
  }

  protected override gaveUp (): void {
    if (this.waiting === 0) this.#calm()
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
