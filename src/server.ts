// Entry point: read the configuration, start the runtime (on the embedded PostgreSQL when no DATABASE_URL is set),
// serve it over HTTP, and shut down gracefully.
import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { bootstrapPlatformAdmin, type AdminCredentials } from './auth/bootstrap-admin.ts'
import { ConfigError, loadConfig } from './config.ts'
import { EmbeddedPostgresError, leaveSignalsToCaller } from './embedded-postgres.ts'
import { StartupError } from './errors.ts'
import { buildApp } from './http/app.ts'
import { createLogger, type Logger } from './logging.ts'
import { startRuntime, type Runtime } from './runtime.ts'
import { resolveSecrets } from './secrets.ts'

let starting: Promise<Runtime> | undefined
let runtime: Runtime | undefined
let app: FastifyInstance | undefined

// Installed before anything starts, so a signal during start-up still stops the embedded server; and alone, so that a
// signal lets requests finish before the embedded server stops.
leaveSignalsToCaller()
closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
  if (err !== undefined) console.error('tenancy: shutting down after an error:', err)
  else runtime?.log.info({ signal }, 'shutting down')
  await app?.close()
  // A signal during start-up: let the runtime (and the embedded server) finish starting, then close it.
  await (runtime ?? await starting?.catch(() => undefined))?.close()
})

async function main (): Promise<void> {
  const config = await resolveSecrets(loadConfig())
  const log = createLogger(config.logLevel)
  starting = startRuntime(config, { log })
  runtime = await starting
  const recovered = await runtime.lifecycle.recover()
  if (recovered.length > 0) log.warn({ tenants: recovered }, 'cleaned up tenants left half-provisioned or half-deleted by a crash')
  app = await buildApp(runtime)
  await announceAdmin(runtime, log, config.databaseUrl === undefined, config.admin)
  await app.listen({ host: config.host, port: config.port })
}

/** With the embedded default and no ADMIN_* variables, a platform admin is made with a password shown once. */
async function announceAdmin (runtime: Runtime, log: Logger, embeddedDefault: boolean, admin: AdminCredentials): Promise<void> {
  // On a server of your own, no password is invented: ADMIN_EMAIL and ADMIN_PASSWORD create the first admin.
  if (admin.password === undefined && !embeddedDefault) return
  const created = await bootstrapPlatformAdmin(runtime.master.users, admin)
  if (created?.generatedPassword !== undefined) {
    console.log(`\n  Platform admin created: ${created.email} / ${created.generatedPassword}\n  (shown once; set ADMIN_EMAIL and ADMIN_PASSWORD to choose your own)\n`)
  } else if (created !== undefined) {
    log.info({ email: created.email }, 'platform admin created')
  }
}

main().catch(async (error: unknown) => {
  console.error(error instanceof ConfigError
    ? `tenancy: invalid configuration: ${error.message}`
    : `tenancy: failed to start: ${error instanceof Error ? error.message : String(error)}`)
  // Those two say what to do in their one line; anything else is unexpected, and its stack is worth showing.
  if (!(error instanceof ConfigError || error instanceof EmbeddedPostgresError || error instanceof StartupError)) console.error(error)
  await app?.close().catch(() => {})
  await runtime?.close().catch(() => {})
  process.exit(1)
})
