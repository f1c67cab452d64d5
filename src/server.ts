// Entry point: read the configuration, start the embedded PostgreSQL when no DATABASE_URL is set, serve, and shut down gracefully.
import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { ConfigError, loadConfig } from './config.ts'
import { buildApp } from './app.ts'
import { EmbeddedPostgresError, openEmbeddedMaster, type EmbeddedServer } from './embedded-postgres.ts'
import { resolveSecrets } from './secrets.ts'
import { bootstrapPlatformAdmin } from './auth/bootstrap-admin.ts'

let app: FastifyInstance | undefined
let embedded: EmbeddedServer | undefined

// Installed before anything starts, so a signal during start-up still stops the embedded server.
closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
  if (err !== undefined) console.error('tenancy: shutting down after an error:', err)
  else app?.log.info({ signal }, 'shutting down')
  await app?.close()
  await embedded?.stop()
})

async function main (): Promise<void> {
  const config = await resolveSecrets(loadConfig())
  let databaseUrl = config.databaseUrl
  if (databaseUrl === undefined) {
    const opened = await openEmbeddedMaster({ dataDir: config.dataDir, port: config.embeddedPostgresPort, reuseRunning: false })
    embedded = opened.server
    databaseUrl = opened.masterUrl
  }
  app = await buildApp({ ...config, databaseUrl })
  if (embedded !== undefined) app.log.info({ port: config.embeddedPostgresPort, dataDir: config.dataDir }, 'using the embedded PostgreSQL')
  await announceAdmin(app, embedded !== undefined, config.admin)
  await app.listen({ host: config.host, port: config.port })
}

/** With the embedded default and no ADMIN_* variables, a platform admin is made with a password shown once. */
async function announceAdmin (app: FastifyInstance, embeddedDefault: boolean, admin: { email?: string, password?: string }): Promise<void> {
  // On a server of your own, no password is invented: ADMIN_EMAIL and ADMIN_PASSWORD create the first admin.
  if (admin.password === undefined && !embeddedDefault) return
  const created = await bootstrapPlatformAdmin(app.master.db, admin)
  if (created?.generatedPassword !== undefined) {
    console.log(`\n  Platform admin created: ${created.email} / ${created.generatedPassword}\n  (shown once; set ADMIN_EMAIL and ADMIN_PASSWORD to choose your own)\n`)
  } else if (created !== undefined) {
    app.log.info({ email: created.email }, 'platform admin created')
  }
}

main().catch(async (error: unknown) => {
  console.error(error instanceof ConfigError
    ? `tenancy: invalid configuration: ${error.message}`
    : `tenancy: failed to start: ${error instanceof Error ? error.message : String(error)}`)
  // Those two say what to do in their one line; anything else is unexpected, and its stack is worth showing.
  if (!(error instanceof ConfigError || error instanceof EmbeddedPostgresError)) console.error(error)
  await app?.close().catch(() => {})
  await embedded?.stop().catch(() => {})
  process.exit(1)
})
