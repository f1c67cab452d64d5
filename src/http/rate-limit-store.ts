// Rate-limit counters shared by every instance through Redis, with this instance's memory as the fallback:
// while Redis is unreachable the limits become per instance. An outage loosens them; it never lifts them.
import { createRequire } from 'node:module'
import type { FastifyRateLimitOptions, FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'

type Counted = (error: Error | null, result?: { current: number, ttl: number }) => void

/** The shape @fastify/rate-limit's own stores share (its type leaves out `read`). */
interface Store {
  incr (key: string, done: Counted, timeWindow: number, max: number): void
  read (key: string, done: Counted, timeWindow: number, max: number): void
  child (routeOptions: object): Store
}

type StoreCtor = new (continueExceeding: boolean | undefined, exponentialBackoff: boolean | undefined, ...rest: unknown[]) => Store

// The plugin's two stores, reused rather than rewritten; they are CommonJS files without type declarations.
const require = createRequire(import.meta.url)
const RedisStore = require('@fastify/rate-limit/store/RedisStore.js') as StoreCtor
const LocalStore = require('@fastify/rate-limit/store/LocalStore.js') as StoreCtor

/** Logs an outage once when it begins and once when it ends, not once per request. */
class OutageLog {
  #down = false
  constructor (private readonly log: FastifyBaseLogger) {}

  began (error: Error): void {
    if (this.#down) return
    this.#down = true
    this.log.warn({ err: error }, 'rate limits: Redis unreachable, counting in this instance until it is back')
  }

  ended (): void {
    if (!this.#down) return
    this.#down = false
    this.log.info('rate limits: Redis is back, counting shared again')
  }
}

class FallbackStore implements Store {
  constructor (private readonly shared: Store, private readonly local: Store, private readonly outage: OutageLog) {}

  incr (key: string, done: Counted, timeWindow: number, max: number): void {
    this.#count('incr', key, done, timeWindow, max)
  }

  read (key: string, done: Counted, timeWindow: number, max: number): void {
    this.#count('read', key, done, timeWindow, max)
  }

  child (routeOptions: object): Store {
    // Limiters made with createRateLimit name no route (the plugin's child key would read "undefinedundefined-"):
    // their keys are distinct already, so they count under the namespace itself.
    if ((routeOptions as { routeInfo?: { method?: string } }).routeInfo?.method === undefined) return this
    return new FallbackStore(this.shared.child(routeOptions), this.local.child(routeOptions), this.outage)
  }

  #count (method: 'incr' | 'read', key: string, done: Counted, timeWindow: number, max: number): void {
    this.shared[method](key, (error, result) => {
      if (error === null) {
        this.outage.ended()
        done(null, result)
        return
      }
      this.outage.began(error)
      this.local[method](key, done, timeWindow, max)
    }, timeWindow, max)
  }
}

/** A store constructor for @fastify/rate-limit's `store` option: counters under `namespace` in Redis, memory while it is away. */
export function redisStoreWithFallback (redis: Redis, namespace: string, log: FastifyBaseLogger): FastifyRateLimitStoreCtor {
  const outage = new OutageLog(log)
  redis.on('error', (error: Error) => { outage.began(error) })
  return class extends FallbackStore {
    constructor (options: FastifyRateLimitOptions & { continueExceeding?: boolean, exponentialBackoff?: boolean }) {
      super(
        new RedisStore(options.continueExceeding, options.exponentialBackoff, redis, namespace),
        new LocalStore(options.continueExceeding, options.exponentialBackoff),
        outage,
      )
    }
  }
}
