// A counting semaphore over pool slots: a pool holds its slot from before it opens until it has fully closed.

export class ConnectionSlots {
  readonly capacity: number
  #inUse = 0
  #waiters: Array<() => void> = []

  constructor (capacity: number) {
    this.capacity = capacity
  }

  get inUse (): number {
    return this.#inUse
  }

  get free (): number {
    return this.capacity - this.#inUse
  }

  get waiting (): number {
    return this.#waiters.length
  }

  tryTake (): boolean {
    if (this.#inUse >= this.capacity) return false
    this.#inUse++
    return true
  }

  /** Resolves once a released slot has been handed to this caller (first come, first served). */
  wait (): Promise<void> {
    return new Promise((resolve) => { this.#waiters.push(resolve) })
  }

  release (): void {
    const next = this.#waiters.shift()
    if (next !== undefined) next()
    else this.#inUse--
  }
}
