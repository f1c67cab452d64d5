// What a process checks and sets on the master before anything else: it is reachable and migrated, its login may make
// databases and roles, tenant roles cannot connect where they should not, and this installation's mark is known.
import type { Sql } from 'postgres'
import { StartupError } from '../errors.ts'
import type { Logger } from '../logging.ts'
import { masterMigrations, migrateDatabase } from '../migrations/migrator.ts'
import { codeOf, isDatabaseUnavailable } from '../postgres-errors.ts'

/** The first contact with the master: a server that accepts connections but never answers is reported this soon. */
const MASTER_CONNECT_TIMEOUT_SECONDS = 3

/** Brings the master to the latest migration; a master that cannot be reached is one line naming its server, not its URL. */
export async function migrateMaster (adminUrl: string): Promise<void> {
  await migrateDatabase(adminUrl, masterMigrations, MASTER_CONNECT_TIMEOUT_SECONDS).catch((error: unknown) => {
    if (!isDatabaseUnavailable(error)) throw error
    const { hostname, port } = new URL(adminUrl)
    throw new StartupError(`could not reach the master database at ${hostname}:${port || 5432} within ${MASTER_CONNECT_TIMEOUT_SECONDS} s (${codeOf(error)})`)
  })
}

/**
 * The DATABASE_URL role must create databases and roles: checked now, so that a missing privilege stops the start with
 * one line, rather than every provisioning failing later.
 */
export async function assertMayProvision (sql: Sql): Promise<void> {
  const [role] = await sql<{ name: string, superuser: boolean, createdb: boolean, createrole: boolean }[]>`
    select rolname as name, rolsuper as superuser, rolcreatedb as createdb, rolcreaterole as createrole
    from pg_catalog.pg_roles where rolname = current_user`
  if (role === undefined || role.superuser) return
  const missing = [!role.createdb && 'CREATEDB', !role.createrole && 'CREATEROLE'].filter(Boolean)
  if (missing.length > 0) {
    throw new StartupError(`the DATABASE_URL role "${role.name}" lacks ${missing.join(' and ')}: grant it (ALTER ROLE ${role.name} ${missing.join(' ')}) or use a role that has both`)
  }
}

/**
 * Tenant roles must reach their own database only: on a server, its postgres and template1 (open to PUBLIC by default)
 * are closed to PUBLIC, and so is the master database on its own. The admin role keeps CONNECT; superusers need none.
 * A role that does not own those databases cannot close them: that is a warning, not a failure.
 */
export async function closeToPublic (sql: Sql, log: Logger, databases: string[]): Promise<void> {
  for (const database of databases) {
    try {
      await sql.begin(async (tx) => {
        await tx`grant connect on database ${tx(database)} to current_user`
        await tx`revoke connect, temporary on database ${tx(database)} from public`
      })
    } catch (error) {
      log.warn({ err: error, database }, 'could not revoke CONNECT on a database from PUBLIC; tenant roles may connect to it')
    }
  }
}

/** The databases of a server that every login may reach unless closed: postgres and template1. */
export const SERVER_DATABASES = ['postgres', 'template1']

/** The mark this installation writes on what it makes on a server: its master's identity (see master/schema.ts). */
export async function installationMark (sql: Sql): Promise<string> {
  const [row] = await sql<{ id: string }[]>`select id from installation`
  if (row === undefined) throw new Error('the master database has no installation row')
  return `tenancy:${row.id}`
}
