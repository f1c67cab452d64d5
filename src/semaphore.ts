// A counting semaphore whose waits have deadlines: past it a waiter gets an error instead of waiting forever.

interface Waiter {
  grant (): void
  timer: NodeJS.Timeout | undefined
}

export class Semaphore {
  #capacity: number
  readonly #timeout: () => Error
  #inUse = 0
  /** First come, first served; a Set so that a waiter whose deadline passes leaves the queue in O(1). */
  readonly #waiters = new Set<Waiter>()

  /** `timeout` makes the error a waiter gets when its deadline passes. */
  constructor (capacity: number, timeout: () => Error) {
    this.#capacity = capacity
    this.#timeout = timeout
  }

  get capacity (): number {
    return this.#capacity
  }

  /** Negative while more are held than a shrunk capacity allows: they are not handed on as they are released. */
  get free (): number {
    return this.#capacity - this.#inUse
  }

  /** A new capacity: waiters are let in at once if it grew; if it shrank, released permits are kept until below it. */
  resize (capacity: number): void {
    this.#capacity = capacity
    while (this.#inUse < this.#capacity && this.#waiters.size > 0) {
      this.#inUse++
      this.#grantNext()
    }
  }

  get waiting (): number {
    return this.#waiters.size
  }

  /** Takes a permit, queueing until one is released; rejects once `deadline` (performance.now() ms) passes. */
  take (deadline = Number.POSITIVE_INFINITY): Promise<void> {
    if (this.#inUse < this.#capacity) {
      this.#inUse++
      return Promise.resolve()
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { grant: resolve, timer: undefined }
      if (Number.isFinite(deadline)) {
        waiter.timer = setTimeout(() => {
          this.#waiters.delete(waiter)
          this.gaveUp()
          reject(this.#timeout())
        }, Math.max(0, deadline - performance.now()))
      }
      this.#waiters.add(waiter)
      this.queued()
    })
  }

  /** Hands the permit to the longest waiter, or frees it (always frees it while over a shrunk capacity). */
  release (): void {
    if (this.#waiters.size === 0 || this.#inUse > this.#capacity) {
      this.#inUse--
      return
    }
    this.#grantNext()
  }

  #grantNext (): void {
    const next = this.#waiters.values().next().value as Waiter
    this.#waiters.delete(next)
    clearTimeout(next.timer)
    this.handedOver()
    next.grant()
  }

  /** A waiter joined the queue. */
  protected queued (): void {}
  /** A permit went from a holder to a waiter. */
  protected handedOver (): void {}
  /** A waiter's deadline passed. */
  protected gaveUp (): void {}
}
