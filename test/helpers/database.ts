// Test databases: each test file gets its own master database on the run's PostgreSQL server, dropped afterwards.
import { randomBytes } from 'node:crypto'
import postgres from 'postgres'

export function serverUrl (): string {
  const url = process.env.TEST_DATABASE_URL
  if (url === undefined) throw new Error('TEST_DATABASE_URL is not set: run the tests with `npm test`')
  return url
}

export function databaseUrl (database: string, base = serverUrl()): string {
  const url = new URL(base)
  url.pathname = `/${database}`
  return url.toString()
}

export function randomName (prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`
}

/** Runs one statement batch as the server's admin on the given database (default: the server's own). */
export async function withAdmin<T> (fn: (sql: postgres.Sql) => Promise<T>, database?: string): Promise<T> {
  const sql = postgres(database === undefined ? serverUrl() : databaseUrl(database), { max: 1, onnotice: () => {} })
  try {
    return await fn(sql)
  } finally {
    await sql.end()
  }
}

export async function createDatabase (prefix = 'test'): Promise<{ name: string, url: string, drop: () => Promise<void> }> {
  const name = randomName(prefix)
  await withAdmin((sql) => sql`create database ${sql(name)}`)
  return {
    name,
    url: databaseUrl(name),
    drop: () => withAdmin(async (sql) => { await sql`drop database if exists ${sql(name)} with (force)` }),
  }
}
