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
 * 300 tenants: a segmented LRU opened a pool for 0.41 of requests, this for 0.27; see bench/many-tenants.)
 */
export class EvictionPolicy {
  /** How many pools are kept, those of the tenants asked for most: chosen only when the caller allows (`fromKept`). */
  readonly kept: number
  readonly #frequency: RequestFrequency

  constructor (slots: number) {
    this.kept = slots - Math.max(1, Math.round(slots / 5))
    // A hundred requests per slot between halvings. TinyLFU's usual ten left the tenants ranked near the last kept
    // pool a few requests apart, so which were kept changed from one sample to the next and their pools reopened.
    this.#frequency = new RequestFrequency(100 * slots)
  }

  /** One request for the tenant, whether or not its pool is open. */
  record (slug: string): void {
    this.#frequency.record(slug)
  }

  /** Whether the tenant is among the `kept` asked for most lately (ties go to it), so its pool is one to keep. */
  keeps (slug: string): boolean {
    return this.kept > 0 && this.#frequency.above(slug) < this.kept
  }

  /**
   * Up to `count` idle pools to close, out of every open pool listed least recently used first: the window's
   * first, then at most `fromKept` of the kept ones, least recently used first. Fewer when the pools that qualify are
   * busy: the caller waits for the next release rather than close a busy pool.
   */
  choose (pools: PoolState[], count: number, fromKept = 0): string[] {
    if (count <= 0) return []
    const inWindow = this.#window(pools.map((pool) => this.#frequency.of(pool.slug)))
    const idle = (window: boolean) => pools.filter((pool, i) => pool.idle && inWindow[i] === window).map((pool) => pool.slug)
    const chosen = idle(true).slice(0, count)
    return [...chosen, ...idle(false).slice(0, Math.max(0, Math.min(fromKept, count - chosen.length)))]
  }

  /** For each pool, by its tenant's count (least recently used first), whether it is in the window rather than kept. */
  #window (counts: number[]): boolean[] {
    if (counts.length <= this.kept) return counts.map(() => false)
    if (this.kept === 0) return counts.map(() => true)
    // Kept: every count above the kept-th highest and, of those equal to it, the most recently used.
    const threshold = Float64Array.from(counts).sort()[counts.length - this.kept] as number
    const above = counts.filter((value) => value > threshold).length
    let tiedInWindow = counts.filter((value) => value === threshold).length - (this.kept - above)
    return counts.map((value) => value < threshold || (value === threshold && tiedInWindow-- > 0))
  }
}
