// What every CLI command runs on: the same configuration and application as the server, without listening.
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../app.ts'
import { loadConfig } from '../config.ts'
import { openEmbeddedMaster, type EmbeddedServer } from '../embedded-postgres.ts'
import { resolveSecrets } from '../secrets.ts'

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
    const opened = await openEmbeddedMaster({ dataDir: config.dataDir, port: config.embeddedPostgresPort, reuseRunning: true })
    embedded = opened.server
    databaseUrl = opened.masterUrl
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
