// Server-level operations on tenant databases and roles, run as the admin: the database-per-tenant primitives.
import postgres, { type Sql, type TransactionSql } from 'postgres'
import { OBJECT_IN_USE, sqlState } from '../postgres-errors.ts'
import { scramVerifier, tenantDatabaseName, tenantRoleName, tenantRolePassword } from './identity.ts'

export interface TenantDatabaseAdminOptions {
  /** An admin connection to any database of the server (the master's pool does). */
  sql: Sql
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
    const client = postgres(urlFor(database), { max: 1, onnotice: () => {}, connect_timeout: 10 })
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
    await sql`
      create role ${sql(tenantRoleName(slug))} with login nosuperuser nocreatedb nocreaterole noinherit noreplication nobypassrls
      connection limit ${sql.unsafe(String(connectionLimit))} password ${sql.unsafe(`'${verifier}'`)}`
  }

  async function dropRole (slug: string): Promise<void> {
    await sql`drop role if exists ${sql(tenantRoleName(slug))}`
  }

  async function createDatabase (slug: string, template: string | undefined): Promise<void> {
    const create = () => sql`
      create database ${sql(tenantDatabaseName(slug))}
      with owner ${sql(tenantRoleName(slug))} template ${sql(template ?? 'template1')}
      connection limit ${sql.unsafe(String(connectionLimit))}`
    if (template === undefined) {
      await create()
    } else {
      const turn = cloneQueue.then(() => retryWhileInUse(create))
      cloneQueue = turn.catch(() => {})
      await turn
    }
  }

  /** Only the owner role may connect; the tenant role gets data access to the tables migrations create. */
  async function grantAccess (slug: string, seed?: (sql: TransactionSql) => Promise<void>): Promise<void> {
    const database = tenantDatabaseName(slug)
    const role = tenantRoleName(slug)
    await sql`revoke all on database ${sql(database)} from public`
    await withDatabase(database, async (tenant) => {
      await tenant.begin(async (tx) => {
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

  return { urlFor, withDatabase, createRole, dropRole, createDatabase, grantAccess, dropDatabase }
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
