// Runs drizzle migrations under a PostgreSQL advisory lock, since drizzle's migrator takes none of its own.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { drizzle } from 'drizzle-orm/postgres-js'
import { migrate } from 'drizzle-orm/postgres-js/migrator'
import postgres, { type Options } from 'postgres'
import { boundedPool } from '../postgres-sessions.ts'
import { ADMIN_SEARCH_PATH } from '../tenant-database/admin.ts'

export interface MigrationSet {
  name: 'master' | 'tenant'
  folder: string
  /** Number of migrations in the folder: the schema version a fully migrated database has. */
  latestVersion: number
}

function migrationSet (name: MigrationSet['name'], directory: string): MigrationSet {
  const folder = fileURLToPath(new URL(`../../${directory}/`, import.meta.url))
  const journal = JSON.parse(readFileSync(`${folder}meta/_journal.json`, 'utf8')) as { entries: unknown[] }
  return { name, folder, latestVersion: journal.entries.length }
}

export const masterMigrations = migrationSet('master', 'master-migrations')
export const tenantMigrations = migrationSet('tenant', 'tenant-migrations')

// Advisory locks are scoped to the current database, so one key serves every database we migrate.
const MIGRATION_LOCK = 'tenancy:migrate'
/** How long one database's migrations, or the wait for another process's, may take. */
const MIGRATION_TIMEOUT_MS = 10 * 60 * 1000

/**
 * Brings the database at `url` to the latest migration of `set` and returns its schema version.
 * Two processes migrating the same database queue on the lock; the second finds nothing left to do.
 */
export async function migrateDatabase (url: string | Options<{}>, set: MigrationSet, connectTimeoutSeconds = 10): Promise<number> {
  const options: Options<{}> = {
    max: 1,
    onnotice: () => {},
    // Waiting for another process's migration of the same database ends too (lock_timeout covers advisory locks).
    ...boundedPool({ statementTimeoutMs: MIGRATION_TIMEOUT_MS, lockTimeoutMs: MIGRATION_TIMEOUT_MS, idleInTransactionMs: 60_000, connectTimeoutSeconds }, 'tenancy migrate'),
  }
  // The admin's search_path, pinned at connection: no setting of the database's own can move it (see ADMIN_SEARCH_PATH).
  options.connection = { ...options.connection, search_path: ADMIN_SEARCH_PATH }
  const sql = typeof url === 'string' ? postgres(url, options) : postgres({ ...url, ...options })
  try {
    await sql`select pg_catalog.pg_advisory_lock(pg_catalog.hashtext(${MIGRATION_LOCK}))`
    await migrate(drizzle(sql), { migrationsFolder: set.folder, migrationsSchema: 'drizzle', migrationsTable: '__drizzle_migrations' })
    const [row] = await sql<{ count: number }[]>`select count(*)::int as count from drizzle.__drizzle_migrations`
    return row?.count ?? 0
  } finally {
    await sql.end({ timeout: 5 })
  }
}
