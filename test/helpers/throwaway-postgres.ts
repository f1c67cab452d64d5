// A PostgreSQL for one test run or bench: a fresh cluster on tmpfs, a free port, a random password, deleted when stopped.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/embedded-postgres.ts'
import { freePort } from './free-port.ts'

/**
 * A PostgreSQL for one test run or bench: a fresh cluster on tmpfs when there is one (many CREATE/DROP
 * DATABASE cycles are slow on ext4), a free port and a random password, deleted when stopped.
 */
export async function startThrowawayPostgres (settings: Record<string, string | number> = {}): Promise<EmbeddedServer> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir()
  const dataDir = await mkdtemp(join(base, 'tenancy-pg-'))
  const password = randomBytes(16).toString('hex')
  // The free port can be taken between asking and binding (a client socket may get it): try another.
  for (let attempt = 1; ; attempt++) {
    try {
      const server = await startEmbeddedPostgres({
        dataDir,
        port: await freePort(),
        password,
        settings: { fsync: 'off', full_page_writes: 'off', synchronous_commit: 'off', ...settings },
      })
      return {
        url: server.url,
        async stop () {
          await server.stop()
          await rm(dataDir, { recursive: true, force: true })
        },
      }
    } catch (error) {
      if (attempt < 3) continue
      await rm(dataDir, { recursive: true, force: true })
      throw error
    }
  }
}

export interface RestartableServer {
  url (database: string): string
  /** Stops the server, keeping its data: `start` brings the same cluster back on the same port. */
  pause (): Promise<void>
  start (): Promise<void>
}

/**
 * A second PostgreSQL for one test (its own cluster on tmpfs, removed when the test ends), that can be stopped and started
 * again: what the tests of several servers and of a server's outage need.
 */
export async function startSecondServer (
  t: { teardown (fn: () => unknown): void },
  settings: Record<string, string | number> = {},
): Promise<RestartableServer> {
  const dataDir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'tenancy-pg2-'))
  const options = {
    dataDir,
    port: await freePort(),
    password: randomBytes(16).toString('hex'),
    settings: { fsync: 'off', full_page_writes: 'off', synchronous_commit: 'off', max_connections: 100, ...settings },
  }
  let server: EmbeddedServer | undefined = await startEmbeddedPostgres(options)
  t.teardown(async () => {
    await server?.stop()
    await rm(dataDir, { recursive: true, force: true })
  })
  return {
    url: (database) => `postgres://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/${encodeURIComponent(database)}`,
    async pause () {
      await server?.stop()
      server = undefined
    },
    async start () {
      server ??= await startEmbeddedPostgres(options)
    },
  }
}
