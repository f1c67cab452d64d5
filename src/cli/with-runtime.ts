// Wraps a command action: starts the runtime (no HTTP stack), runs, closes, and turns errors into one line and exit code 1.
import { ConfigError, loadConfig } from '../config.ts'
import { createLogger } from '../logging.ts'
import { startRuntime, type Runtime } from '../runtime.ts'
import { resolveSecrets } from '../secrets.ts'

export function withRuntime<A extends unknown[]> (action: (runtime: Runtime, ...args: A) => Promise<number | void>) {
  return async (...args: A): Promise<void> => {
    let runtime: Runtime | undefined
    try {
      const config = await resolveSecrets(loadConfig())
      // Logs go to stderr, so that stdout carries only the command's output (`--json` included).
      const log = createLogger('warn', process.stderr)
      // On the embedded PostgreSQL a running `npm start` serves, if there is one; else one started for the command.
      runtime = await startRuntime(config, { log, listen: false, reuseEmbedded: true })
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
