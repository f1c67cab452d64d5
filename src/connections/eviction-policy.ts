// Which idle pools close when slots are needed: the busiest tenants keep theirs, the rest take turns.
import { RequestFrequency } from './request-frequency.ts'

export interface PoolState {
  slug: string
  idle: boolean
}

/**
 * W-TinyLFU, shaped for pools. The pools of the tenants asked for most (all but a fifth of the slots) are kept:
 * closing one for a rarer tenant only makes its next request open it again. The other pools, the window, take
 * turns among the other tenants, least recently used first, so a newcomer keeps its pool for a while whatever its
 * count. A fifth rather than fewer, so that enough opens run at once to keep the server busy. (Zipf traffic over
 * 300 tenants: plain LRU opened a pool for 0.41 of requests, this for 0.27; see bench/many-tenants.)
 */
export class EvictionPolicy {
  /** How many pools are never chosen: those of the tenants asked for most. */
  readonly kept: number
  readonly #frequency: RequestFrequency

  constructor (slots: number) {
    this.kept = slots - Math.max(1, Math.round(slots / 5))
    // TinyLFU's sample: ten requests per slot between halvings.
    this.#frequency = new RequestFrequency(10 * slots)
  }

  /** One request for the tenant, whether or not its pool is open. */
  record (slug: string): void {
    this.#frequency.record(slug)
  }

  /**
   * Up to `count` idle pools to close, out of every open pool listed least recently used first. Fewer when the
   * window's pools are busy: the caller waits for the next release rather than close a kept or a busy pool.
   */
  choose (pools: PoolState[], count: number): string[] {
    if (count <= 0 || pools.length <= this.kept) return []
    const counts = pools.map((pool) => this.#frequency.of(pool.slug))
    // Kept: every count above the kept-th highest, and of those equal to it, the most recently used.
    const threshold = this.kept === 0 ? Number.POSITIVE_INFINITY : Float64Array.from(counts).sort()[pools.length - this.kept] as number
    let above = 0
    let tied = 0
    for (const value of counts) {
      if (value > threshold) above++
      else if (value === threshold) tied++
    }
    let tiedInWindow = tied - (this.kept - above)
    const chosen: string[] = []
    for (const [i, pool] of pools.entries()) {
      if (chosen.length === count) break
      const value = counts[i] as number
      const inWindow = value < threshold || (value === threshold && tiedInWindow-- > 0)
      if (inWindow && pool.idle) chosen.push(pool.slug)
    }
    return chosen
  }
}
