// Server-level operations on tenant databases and roles, run as the admin: the database-per-tenant primitives.
import postgres, { type Sql, type TransactionSql } from 'postgres'
import { OBJECT_IN_USE, sqlState } from '../postgres-errors.ts'
import { scramVerifier, tenantDatabaseName, tenantRoleName, tenantRolePassword } from './identity.ts'

export interface TenantDatabaseAdminOptions {
  /** One admin connection (a reserved one) to any database of the server: some steps run as a transaction on it. */
  sql: Sql
  /** Written as the comment of every database and role this installation makes: what it may drop (see `madeHere`). */
  mark: string
  /** The admin URL; its database part is replaced to reach a tenant database. */
  adminUrl: string
  tenantDbSecret: string
  /** Server-side cap on the tenant role's and database's connections: the pool size plus a reserve. */
  connectionLimit: number
}

export type TenantDatabaseAdmin = ReturnType<typeof createTenantDatabaseAdmin>

const CLONE_ATTEMPTS = 5

// PostgreSQL refuses to clone a template that another session is connected to; clones from this process take turns.
let cloneQueue: Promise<unknown> = Promise.resolve()

export function createTenantDatabaseAdmin (options: TenantDatabaseAdminOptions) {
  const { sql, connectionLimit } = options

  const urlFor = (database: string) => databaseUrl(options.adminUrl, database)

  /** A short-lived single-connection admin client inside one database, closed when `fn` settles. */
  async function withDatabase<T> (database: string, fn: (sql: Sql) => Promise<T>): Promise<T> {
    const client = postgres(urlFor(database), {
      max: 1,
      onnotice: () => {},
      connect_timeout: 10,
      connection: { search_path: ADMIN_SEARCH_PATH },
    })
    try {
      return await fn(client)
    } finally {
      await client.end({ timeout: 5 })
    }
  }

  async function createRole (slug: string): Promise<void> {
    const verifier = scramVerifier(tenantRolePassword(options.tenantDbSecret, slug))
    // Utility statements take no bind parameters; the verifier is base64 and '$'/':' only, checked before it is inlined.
    if (!/^SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/.test(verifier)) throw new Error('unexpected verifier format')
    const role = sql(tenantRoleName(slug))
    // One transaction: the role never exists without its mark, so a crash cannot leave one this installation would not drop.
    await sql`begin`
    try {
      await sql`
        create role ${role} with login nosuperuser nocreatedb nocreaterole noinherit noreplication nobypassrls
        connection limit ${sql.unsafe(String(connectionLimit))} password ${sql.unsafe(`'${verifier}'`)}`
      await sql`comment on role ${role} is ${sql.unsafe(literal(options.mark))}`
      await sql`commit`
    } catch (error) {
      await sql`rollback`.catch(() => {})
      throw error
    }
  }

  /**
   * Whether the tenant's database and role, where they exist, carry this installation's mark. A `tenant_<slug>` made
   * by anyone else (another master on the same server: a staging deployment) is never dropped.
   */
  async function madeHere (slug: string): Promise<{ database: boolean | undefined, role: boolean | undefined }> {
    const [row] = await sql<{ database: string | null | undefined, role: string | null | undefined }[]>`
      select
        (select coalesce(pg_catalog.shobj_description(oid, 'pg_database'), '') from pg_catalog.pg_database where datname = ${tenantDatabaseName(slug)}) as database,
        (select coalesce(pg_catalog.shobj_description(oid, 'pg_authid'), '') from pg_catalog.pg_roles where rolname = ${tenantRoleName(slug)}) as role`
    const ours = (comment: string | null | undefined) => comment === null || comment === undefined ? undefined : comment === options.mark
    return { database: ours(row?.database), role: ours(row?.role) }
  }

  async function dropRole (slug: string): Promise<void> {
    await sql`drop role if exists ${sql(tenantRoleName(slug))}`
  }

  /** The admin owns the database (and so its schema public): the tenant's role gets only what `grantAccess` gives. */
  async function createDatabase (slug: string, template: string | undefined): Promise<void> {
    const database = sql(tenantDatabaseName(slug))
    const create = () => sql`
      create database ${database} template ${sql(template ?? 'template1')}
      connection limit ${sql.unsafe(String(connectionLimit))}`
    if (template === undefined) {
      await create()
    } else {
      const turn = cloneQueue.then(() => retryWhileInUse(create))
      cloneQueue = turn.catch(() => {})
      await turn
    }
    // CREATE DATABASE cannot share a transaction: a crash right here leaves it unmarked, which the provisioning row's
    // recorded step still tells apart (see the provisioner's discard).
    await sql`comment on database ${database} is ${sql.unsafe(literal(options.mark))}`
  }

  /**
   * Exactly what the app needs: CONNECT to its own database, USAGE on schema public, data access to the tables and
   * sequences migrations create (now and later). No CREATE anywhere, no ownership, nothing on any other database.
   */
  async function grantAccess (slug: string, seed?: (sql: TransactionSql) => Promise<void>): Promise<void> {
    const database = tenantDatabaseName(slug)
    const role = tenantRoleName(slug)
    await sql`revoke all on database ${sql(database)} from public`
    await sql`grant connect on database ${sql(database)} to ${sql(role)}`
    await withDatabase(database, async (tenant) => {
      await tenant.begin(async (tx) => {
        await tx`revoke create on schema public from public`
        await tx`grant usage on schema public to ${tx(role)}`
        await tx`grant select, insert, update, delete on all tables in schema public to ${tx(role)}`
        await tx`grant usage, select on all sequences in schema public to ${tx(role)}`
        await tx`alter default privileges in schema public grant select, insert, update, delete on tables to ${tx(role)}`
        await tx`alter default privileges in schema public grant usage, select on sequences to ${tx(role)}`
        if (seed !== undefined) await seed(tx)
      })
    })
  }

  async function dropDatabase (slug: string): Promise<void> {
    await sql`drop database if exists ${sql(tenantDatabaseName(slug))} with (force)`
  }

  return { urlFor, withDatabase, createRole, madeHere, dropRole, createDatabase, grantAccess, dropDatabase }
}

/**
 * The search_path of every admin session in a tenant database, given at connection so no `ALTER DATABASE … SET` can
 * change it: schema public only, which the admin owns and no tenant role may create in. PostgreSQL searches
 * pg_catalog before a path that does not name it, so no object of the tenant's can stand in for a built-in one.
 */
export const ADMIN_SEARCH_PATH = 'public'

/** A string literal for utility statements, which take no parameters (COMMENT ON). */
function literal (value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}

/** The same server and login as `url`, in another database. */
export function databaseUrl (url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${encodeURIComponent(database)}`
  return parsed.toString()
}

async function retryWhileInUse<T> (fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (error) {
      if (sqlState(error) !== OBJECT_IN_USE || attempt >= CLONE_ATTEMPTS) throw error
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt))
    }
  }
}
