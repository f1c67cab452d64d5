// Request loggers that become pino children only when a request logs something. Fastify gives every request a child
// logger (its reqId bound) and the tenant hook another (the tenant); making one serializes and redacts its bindings,
// about 10 µs a request for the two, and at LOG_LEVEL=warn most requests never log a line. A deferred child keeps its
// bindings and makes the real child the first time it logs at an enabled level: the lines are the same.
import type { FastifyBaseLogger } from 'fastify'
import type { Bindings, ChildLoggerOptions } from 'pino'

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'

/** What a parent must offer: pino's loggers (the process logger) and deferred children both do. */
type Parent = FastifyBaseLogger & { isLevelEnabled? (level: string): boolean }

class DeferredChild implements FastifyBaseLogger {
  readonly #parent: Parent
  readonly #bindings: Bindings
  #logger: Parent | undefined

  constructor (parent: Parent, bindings: Bindings) {
    this.#parent = parent
    this.#bindings = bindings
  }

  get level (): string {
    return (this.#logger ?? this.#parent).level
  }

  set level (level: string) {
    this.#real().level = level
  }

  isLevelEnabled (level: string): boolean {
    const logger = this.#logger ?? this.#parent
    // A logger that cannot tell is taken to log everything.
    return logger.isLevelEnabled === undefined || logger.isLevelEnabled(level)
  }

  child (bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    // Options (a level, serializers) change how the child logs: made at once, as pino would.
    if (options === undefined || Object.keys(options).length === 0) return new DeferredChild(this, bindings)
    return this.#real().child(bindings, options)
  }

  fatal (...args: unknown[]): void { this.#log('fatal', args) }
  error (...args: unknown[]): void { this.#log('error', args) }
  warn (...args: unknown[]): void { this.#log('warn', args) }
  info (...args: unknown[]): void { this.#log('info', args) }
  debug (...args: unknown[]): void { this.#log('debug', args) }
  trace (...args: unknown[]): void { this.#log('trace', args) }
  silent (): void {}

  #log (level: Level, args: unknown[]): void {
    if (!this.isLevelEnabled(level)) return
    const logger = this.#real() as unknown as Record<Level, (...args: unknown[]) => void>
    logger[level](...args)
  }

  #real (): Parent {
    // The parent's real logger makes it: a deferred parent's child() would only defer again.
    const parent = this.#parent instanceof DeferredChild ? this.#parent.#real() : this.#parent
    this.#logger ??= parent.child(this.#bindings) as Parent
    return this.#logger
  }
}

/** Fastify's `childLoggerFactory`: a request's logger, made into a pino child only if the request logs. */
export function deferredChildLogger (logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return Object.keys(options).length === 0 ? new DeferredChild(logger, bindings) : logger.child(bindings, options)
}
