// What a server must be before tenants may live on it: reachable with the admin URL, and that login able to create
// databases and roles. Checked when the server is added; what is learnt (version, connection limit) is shown and used.
import postgres from 'postgres'
import { BadRequestError } from '../errors.ts'

export interface ServerFacts {
  version: string
  maxConnections: number
  /** Connections only superusers may use. */
  reservedConnections: number
}

const CHECK_TIMEOUT_SECONDS = 5

/** Throws a 400 saying what is wrong (never echoing the URL, which carries a password). */
export async function checkServer (adminUrl: string): Promise<ServerFacts> {
  const sql = postgres(adminUrl, { max: 1, connect_timeout: CHECK_TIMEOUT_SECONDS, onnotice: () => {}, connection: { application_name: 'tenancy check' } })
  try {
    const [row] = await sql<Array<ServerFacts & { superuser: boolean, createdb: boolean, createrole: boolean }>>`
      select current_setting('server_version') as version,
        current_setting('max_connections')::int as "maxConnections",
        current_setting('superuser_reserved_connections')::int as "reservedConnections",
        rolsuper as superuser, rolcreatedb as createdb, rolcreaterole as createrole
      from pg_catalog.pg_roles where rolname = current_user`.catch((error: unknown) => {
        throw new BadRequestError(`The server cannot be reached with that URL (${(error as { code?: string }).code ?? 'no answer'})`)
      })
    if (row === undefined) throw new BadRequestError('The server did not say who the URL logs in as')
    if (!row.superuser && !(row.createdb && row.createrole)) throw new BadRequestError('The URL\'s role may not create databases and roles (it needs CREATEDB and CREATEROLE)')
    if (Number.parseInt(row.version, 10) < 15) throw new BadRequestError(`PostgreSQL ${row.version} is too old; 15 or newer is needed`)
    return { version: row.version, maxConnections: row.maxConnections, reservedConnections: row.reservedConnections }
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {})
  }
}
