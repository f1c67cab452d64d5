// The PostgreSQL servers tenant databases live on. Today one, "default": the server of DATABASE_URL.
import { eq } from 'drizzle-orm'
import type { MasterDb } from './database.ts'
import { databaseServers } from './schema.ts'

export const DEFAULT_SERVER = 'default'

/**
 * The default server's id. It is recorded from the admin URL the first time a process starts on this master, and never
 * rewritten after: a CLI run through a tunnel (another host or port for the same server) must not move where every
 * running instance connects.
 */
export async function ensureDefaultServer (db: MasterDb, adminUrl: string): Promise<string> {
  const url = new URL(adminUrl)
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  const port = url.port === '' ? 5432 : Number(url.port)
  await db.insert(databaseServers).values({ name: DEFAULT_SERVER, host, port }).onConflictDoNothing({ target: databaseServers.name })
  const [row] = await db.select({ id: databaseServers.id }).from(databaseServers).where(eq(databaseServers.name, DEFAULT_SERVER))
  if (row === undefined) throw new Error('could not record the default database server')
  return row.id
}
