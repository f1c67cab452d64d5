// Wraps a command action: opens the runtime, runs, closes, and turns errors into one line and exit code 1.
import { ConfigError } from '../config.ts'
import { openRuntime, type Runtime } from './runtime.ts'

export function withRuntime<A extends unknown[]> (action: (runtime: Runtime, ...args: A) => Promise<number | void>) {
  return async (...args: A): Promise<void> => {
    let runtime: Runtime | undefined
    try {
      runtime = await openRuntime()
      const code = await action(runtime, ...args)
      if (typeof code === 'number') process.exitCode = code
    } catch (error) {
      const message = error instanceof ConfigError ? `invalid configuration: ${error.message}` : (error as Error).message
      console.error(`tenancy: ${message}`)
      process.exitCode = 1
    } finally {
      await runtime?.close()
    }
  }
}
