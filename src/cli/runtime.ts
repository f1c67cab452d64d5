// What every CLI command runs on: the same configuration and application as the server, without listening.
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import postgres from 'postgres'
import { buildApp } from '../app.ts'
import { loadConfig } from '../config.ts'
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedServer } from '../embedded-postgres.ts'
import { loadStoredSecrets, resolveSecrets } from '../secrets.ts'

export const EMBEDDED_MASTER_DATABASE = 'tenancy'

export interface Runtime {
  app: FastifyInstance
  close (): Promise<void>
}

/**
 * Builds the app on DATABASE_URL, or on the embedded PostgreSQL: the running one if `npm start` has it up,
 * else one started for the length of the command.
 */
export async function openRuntime (): Promise<Runtime> {
  const config = await resolveSecrets(loadConfig())
  let databaseUrl = config.databaseUrl
  let embedded: EmbeddedServer | undefined
  if (databaseUrl === undefined) {
    const { embeddedPostgresPassword: password } = await loadStoredSecrets(config.dataDir)
    const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${config.embeddedPostgresPort}/${EMBEDDED_MASTER_DATABASE}`
    if (!(await answers(url))) {
      embedded = await startEmbeddedPostgres({ dataDir: join(config.dataDir, 'postgres'), port: config.embeddedPostgresPort, password })
      await ensureDatabase(embedded.url('postgres'), EMBEDDED_MASTER_DATABASE)
    }
    databaseUrl = url
  }
  const app = await buildApp({ ...config, databaseUrl }, { logger: { level: 'warn' } })
  await app.ready()
  return {
    app,
    async close () {
      await app.close()
      await embedded?.stop()
    },
  }
}

async function answers (url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} })
  try {
    await sql`select 1`
    return true
  } catch {
    return false
  } finally {
    await sql.end({ timeout: 1 })
  }
}
