// Which idle pools close when slots are needed: the busiest tenants keep theirs, the rest take turns, and a few slots
// stay free while new tenants keep arriving.
import { LRUCache } from 'lru-cache'
import { RequestFrequency } from './request-frequency.ts'

export interface PoolState {
  slug: string
  idle: boolean
}

/** The slot queue as the manager sees it when it looks for pools to close. */
export interface SlotPressure {
  /** Opens waiting for a slot. */
  waiting: number
  free: number
  /** Pools closing already: each will free a slot. */
  draining: number
  /** The queue has not moved for a while: kept pools may close for it. */
  stalled: boolean
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
  kept = 0
  /** Slots kept free, so that a cold tenant's open does not wait for another pool to close first (5%, none below 20). */
  spare = 0
  readonly #frequency: RequestFrequency
  /**
   * Tenants whose pool was closed to keep a spare slot. When one comes back, the tenants in use fit in the slots and a
   * spare would only churn them: none is kept until a tenant not seen among these arrives.
   */
  readonly #sparedFor: LRUCache<string, true>
  #spareWanted = true

  constructor (slots: number) {
    this.resize(slots)
    // A hundred requests per slot between halvings. TinyLFU's usual ten left the tenants ranked near the last kept
    // pool a few requests apart, so which were kept changed from one sample to the next and their pools reopened.
    this.#frequency = new RequestFrequency(100 * slots)
    this.#sparedFor = new LRUCache({ max: slots })
  }

  /** The slots changed (this instance's share of a server's budget): the kept part and the spare follow. */
  resize (slots: number): void {
    this.kept = slots - Math.max(1, Math.round(slots / 5))
    this.spare = Math.floor(slots / 20)
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
   * A window pool gets one connection: its tenant is asked for rarely, requests that share its open would each
   * make postgres.js open another connection (a backend start, several ms) to save each other well under one, and
   * the pool soon closes anyway. Kept tenants get `max`; with one slot, there is no window.
   */
  widthFor (slug: string, max: number): number {
    return this.kept === 0 || this.keeps(slug) ? max : 1
  }

  /** A pool is about to open for the tenant. */
  opening (slug: string): void {
    this.#spareWanted = !this.#sparedFor.delete(slug)
  }

  /**
   * The idle pools to close now: one for each queued open that free slots and draining pools do not cover, and the
   * spare slots while they are wanted. Kept pools close only for opens of a stalled queue. Never a busy pool: it is
   * hot, and closing it only makes its next request open it again; the opens wait for the next release instead.
   * `pools` lists every open pool, least recently used first; it is called only when some pool is to close, as this
   * runs on every release.
   */
  toClose (slots: SlotPressure, pools: () => PoolState[]): string[] {
    const forWaiters = slots.waiting - slots.free - slots.draining
    const needed = forWaiters + (this.#spareWanted ? this.spare : 0)
    if (needed <= 0) return []
    // Opens queue only when no slot is free, so forWaiters is also how many kept pools a stalled queue may close. Past a
    // shrunk capacity (free < 0), kept pools close too: the budget comes first.
    const chosen = this.choose(pools(), needed, slots.stalled ? forWaiters : Math.max(0, -slots.free))
    for (const slug of chosen.slice(Math.max(0, forWaiters))) this.#sparedFor.set(slug, true)
    return chosen
  }

  /**
   * Up to `count` idle pools to close, out of every open pool listed least recently used first: the window's
   * first, then at most `fromKept` of the kept ones, least recently used first.
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
