// How often each tenant has been asked for lately: the counts that decide which pools are worth keeping open.

/**
 * Counts per key, all halved once `sampleSize` have been recorded (TinyLFU's aging), so the counts follow
 * a change in traffic within a few samples and a key not seen for a while drops out. Memory stays bounded:
 * after each halving the counts sum to at most half the sample, and a key at zero is forgotten.
 */
export class RequestFrequency {
  readonly #sampleSize: number
  readonly #counts = new Map<string, number>()
  #recorded = 0

  constructor (sampleSize: number) {
    this.#sampleSize = Math.max(1, sampleSize)
  }

  record (key: string): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1)
    if (++this.#recorded >= this.#sampleSize) this.#age()
  }

  of (key: string): number {
    return this.#counts.get(key) ?? 0
  }

  /** How many keys were recorded more often than this one. */
  above (key: string): number {
    const count = this.of(key)
    let above = 0
    for (const other of this.#counts.values()) if (other > count) above++
    return above
  }

  get size (): number {
    return this.#counts.size
  }

  #age (): void {
    this.#recorded = 0
    for (const [key, count] of this.#counts) {
      if (count < 2) this.#counts.delete(key)
      else this.#counts.set(key, count >> 1)
    }
  }
}
