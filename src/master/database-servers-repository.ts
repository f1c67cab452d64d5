// The PostgreSQL servers tenant databases live on. Today one, "default": the server of DATABASE_URL.
import { sql } from 'drizzle-orm'
import type { MasterDb } from './database.ts'
import { databaseServers } from './schema.ts'

export const DEFAULT_SERVER = 'default'

/** Records (or updates) the default server from the admin URL and returns its id. */
export async function ensureDefaultServer (db: MasterDb, adminUrl: string): Promise<string> {
  const url = new URL(adminUrl)
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  const port = url.port === '' ? 5432 : Number(url.port)
  const [row] = await db.insert(databaseServers).values({ name: DEFAULT_SERVER, host, port })
    .onConflictDoUpdate({ target: databaseServers.name, set: { host: sql`excluded.host`, port: sql`excluded.port` } })
    .returning({ id: databaseServers.id })
  if (row === undefined) throw new Error('could not record the default database server')
  return row.id
}
