// createRuntime(config): the product without HTTP. The master database, the tenant directory, the connection manager,
// the lifecycle (provisioning included) and the migrator, built once per process; the HTTP app and the CLI wrap it.
import postgres, { type Sql } from 'postgres'
import type { ResolvedConfig } from './config.ts'
import { StartupError } from './errors.ts'
import { openEmbeddedMaster } from './embedded-postgres.ts'
import { postgresConnector } from './connections/tenant-pool.ts'
import { TenantConnectionManager } from './connections/tenant-connection-manager.ts'
import type { ProvisioningStep } from './lifecycle/provisioner.ts'
import { createTemplateDatabase, templateNameFor, type TemplateDatabase } from './lifecycle/template.ts'
import { reconcileConnectionLimits, tenantConnectionLimit } from './lifecycle/connection-limits.ts'
import { createTenantLifecycle } from './lifecycle/tenant-lifecycle.ts'
import { tenantLocks } from './lifecycle/tenant-lock.ts'
import { createLogger, type Logger } from './logging.ts'
import { ensureDefaultServer } from './master/database-servers-repository.ts'
import { connectMaster, MASTER_POOL_SIZE, requestLimits, type MasterDatabase } from './master/database.ts'
import { liveInstances, registerInstance } from './master/instances.ts'
import { createTenantDirectory } from './master/tenant-directory.ts'
import { listenForTenantEvents, tenantEventPublisher } from './master/tenant-events.ts'
import { createMetrics, registerPoolMetrics } from './metrics.ts'
import { codeOf, isDatabaseUnavailable } from './postgres-errors.ts'
import { boundedPool } from './postgres-sessions.ts'
import { masterMigrations, migrateDatabase } from './migrations/migrator.ts'
import { createTenantMigrator } from './migrations/tenant-migrator.ts'
import { tenantRoleName, tenantRolePassword } from './tenant-database/identity.ts'

/** A configuration whose master database is known (the embedded server's, when DATABASE_URL was unset). */
export type RuntimeConfig = ResolvedConfig & { databaseUrl: string }

export interface RuntimeOptions {
  log?: Logger
  /** Listen for tenant changes made by other processes (default true; a CLI command only publishes its own). */
  listen?: boolean
  /** `false` provisions by create-then-migrate instead of cloning the template. */
  useTemplate?: boolean
  /** Runs before each provisioning step; tests inject failures here. */
  beforeStep?: (step: ProvisioningStep, slug: string) => void | Promise<void>
}

/** The first contact with the master: a server that accepts connections but never answers is reported this soon. */
const MASTER_CONNECT_TIMEOUT_SECONDS = 3

/** Master connections of the lifecycle's own pool: at most this many tenant changes run at once, off the request pool. */
const LIFECYCLE_POOL_SIZE = 4

export type Runtime = Awaited<ReturnType<typeof createRuntime>>

/**
 * What the server and the CLI run on: the runtime on DATABASE_URL, or else on the embedded PostgreSQL, started here (or,
 * with `reuseEmbedded`, the one a running `npm start` already serves). Closing the runtime stops what was started.
 */
export async function startRuntime (config: ResolvedConfig, options: RuntimeOptions & { reuseEmbedded?: boolean } = {}): Promise<Runtime> {
  if (config.databaseUrl !== undefined) return createRuntime({ ...config, databaseUrl: config.databaseUrl }, options)
  const embedded = await openEmbeddedMaster({ dataDir: config.dataDir, port: config.embeddedPostgresPort, reuseRunning: options.reuseEmbedded === true })
  try {
    const runtime = await createRuntime({ ...config, databaseUrl: embedded.masterUrl }, options)
    if (embedded.server !== undefined) options.log?.info({ port: config.embeddedPostgresPort, dataDir: config.dataDir }, 'using the embedded PostgreSQL')
    return { ...runtime, close: async () => { await runtime.close(); await embedded.server?.stop() } }
  } catch (error) {
    await embedded.server?.stop()
    throw error
  }
}

export async function createRuntime (config: RuntimeConfig, options: RuntimeOptions = {}) {
  const log = options.log ?? createLogger('silent')
  const adminUrl = config.databaseUrl
  await migrateDatabase(adminUrl, masterMigrations, MASTER_CONNECT_TIMEOUT_SECONDS).catch((error: unknown) => {
    if (!isDatabaseUnavailable(error)) throw error
    // One line naming the server, never the URL (it carries the password).
    const { hostname, port } = new URL(adminUrl)
    throw new StartupError(`could not reach the master database at ${hostname}:${port || 5432} within ${MASTER_CONNECT_TIMEOUT_SECONDS} s (${codeOf(error)})`)
  })
  const master = connectMaster(adminUrl, config)
  // Creating and dropping databases can take longer than a request under load; a stuck one still ends.
  const lifecycleSql = postgres(adminUrl, {
    max: LIFECYCLE_POOL_SIZE,
    idle_timeout: 60,
    onnotice: () => {},
    ...boundedPool({ statementTimeoutMs: 120_000, lockTimeoutMs: 10_000, idleInTransactionMs: 60_000, connectTimeoutSeconds: 5 }, 'tenancy lifecycle'),
  })
  const closing: Array<() => Promise<unknown>> = [() => lifecycleSql.end({ timeout: 5 }), () => master.close()]
  // Each step runs whatever the one before did: on a signal the embedded server may already be stopping.
  const close = async () => {
    for (const step of closing.splice(0)) await step().catch((error: unknown) => { log.warn({ err: error }, 'while closing') })
  }
  try {
    await assertMayProvision(master.sql)
    await closeToPublic(master, log)
    const mark = await installationMark(master.sql)
    await warnIfOverBudget(master.sql, config, log)
    const serverId = await ensureDefaultServer(master.db, adminUrl)
    const template = await prepareTemplate(config, lifecycleSql, options, log)
    const metrics = createMetrics()
    const directory = createTenantDirectory(master.tenants, config.tenantCacheTtlSeconds)
    const migrator = createTenantMigrator({ adminUrl, tenants: master.tenants })

    const connections = new TenantConnectionManager({
      ...config.pool,
      async locate (slug) {
        const tenant = await directory.serving(slug)
        // Behind after a deploy: migrate before the first query. The manager's single flight makes this once per process.
        if (tenant.schemaVersion < migrator.latestVersion) {
          await migrator.migrate(slug)
          directory.invalidate(slug)
        }
        return { host: tenant.host, port: tenant.port, database: tenant.databaseName, username: tenantRoleName(slug), password: tenantRolePassword(config.tenantDbSecret, slug) }
      },
      connect: postgresConnector({
        ...config.pool,
        ...requestLimits(config.requestTimeoutMs),
        connectTimeoutSeconds: Math.min(config.pool.connectTimeoutSeconds, config.requestTimeoutMs / 1000),
      }),
      observer: { opened: (_slug, seconds) => { metrics.poolOpenSeconds.observe(seconds) } },
    })
    closing.unshift(() => connections.close())
    registerPoolMetrics(metrics.registry, connections)

    const forget = (slug: string) => {
      directory.invalidate(slug)
      connections.evict(slug)
    }
    const events = options.listen === false
      ? tenantEventPublisher(master.sql)
      : await listenForTenantEvents(master.sql, { changed: forget, resync: () => { directory.clear() } })
    closing.unshift(() => events.close())

    // An instance that serves (not a CLI command) registers, so that what all instances share counts it.
    const instance = options.listen === false ? undefined : await registerInstance(master.sql)
    if (instance !== undefined) closing.unshift(() => instance.close())
    const othersLive = instance === undefined ? await liveInstances(master.sql) : 0
    const connectionLimit = () => tenantConnectionLimit(config.pool.maxConnectionsPerTenant, instance?.live() ?? othersLive)

    const lifecycle = createTenantLifecycle({
      withTenantLock: tenantLocks({ sql: lifecycleSql, connections: LIFECYCLE_POOL_SIZE, mark, adminUrl, tenantDbSecret: config.tenantDbSecret, connectionLimit }),
      reconcile: (raiseOnly) => reconcileConnectionLimits(lifecycleSql, master.tenants, connectionLimit(), raiseOnly),
      tenants: master.tenants,
      serverId,
      template,
      beforeStep: options.beforeStep,
      log,
      events,
      forget,
      observer: {
        provisioned (result, seconds) {
          metrics.provisioningSeconds.observe({ result }, seconds)
          metrics.tenantsProvisioned.inc({ result })
        },
      },
    })

    if (instance !== undefined) {
      // Room for this instance's pools too, before it serves: a tenant's role at its limit would refuse them.
      const { changed, failed } = await lifecycle.reconcileConnectionLimits(true)
      if (changed > 0 || failed.length > 0) log.info({ limit: connectionLimit(), changed, failed: failed.length }, 'raised tenant connection limits for this instance')
    }

    return { config, log, metrics, master, directory, connections, migrator, lifecycle, close }
  } catch (error) {
    await close()
    throw error
  }
}

/**
 * The DATABASE_URL role must create databases and roles: checked now, so that a missing privilege stops the start with
 * one line, rather than every provisioning failing later.
 */
async function assertMayProvision (sql: Sql): Promise<void> {
  const [role] = await sql<{ name: string, superuser: boolean, createdb: boolean, createrole: boolean }[]>`
    select rolname as name, rolsuper as superuser, rolcreatedb as createdb, rolcreaterole as createrole
    from pg_catalog.pg_roles where rolname = current_user`
  if (role === undefined || role.superuser) return
  const missing = [!role.createdb && 'CREATEDB', !role.createrole && 'CREATEROLE'].filter(Boolean)
  if (missing.length > 0) {
    throw new StartupError(`the DATABASE_URL role "${role.name}" lacks ${missing.join(' and ')}: grant it (ALTER ROLE ${role.name} ${missing.join(' ')}) or use a role that has both`)
  }
}

/**
 * Tenant roles must reach their own database only: the master database, and the server's postgres and template1 (open
 * to PUBLIC by default), are closed to PUBLIC. The admin role keeps CONNECT; superusers need none. A role that does
 * not own those databases cannot close them: that is a warning, not a failure.
 */
async function closeToPublic (master: MasterDatabase, log: Logger): Promise<void> {
  const [row] = await master.sql<{ name: string }[]>`select current_database() as name`
  for (const database of [row?.name as string, 'postgres', 'template1']) {
    try {
      await master.sql.begin(async (tx) => {
        await tx`grant connect on database ${tx(database)} to current_user`
        await tx`revoke connect, temporary on database ${tx(database)} from public`
      })
    } catch (error) {
      log.warn({ err: error, database }, 'could not revoke CONNECT on a database from PUBLIC; tenant roles may connect to it')
    }
  }
}

/** The mark this installation writes on what it makes on a server: its master's identity (see master/schema.ts). */
async function installationMark (sql: Sql): Promise<string> {
  const [row] = await sql<{ id: string }[]>`select id from installation`
  if (row === undefined) throw new Error('the master database has no installation row')
  return `tenancy:${row.id}`
}

/** A budget the server cannot honour turns into refused connections under load: say so at start-up. */
async function warnIfOverBudget (sql: Sql, config: RuntimeConfig, log: Logger): Promise<void> {
  const budget = config.pool.maxTenants * config.pool.maxConnectionsPerTenant
  const [row] = await sql<{ available: number }[]>`
    select current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int as available`
  const available = row?.available ?? Number.POSITIVE_INFINITY
  if (budget + MASTER_POOL_SIZE + LIFECYCLE_POOL_SIZE > available) {
    log.warn({ budget, masterPools: MASTER_POOL_SIZE + LIFECYCLE_POOL_SIZE, available },
      'POOL_MAX_TENANTS x POOL_MAX_CONNECTIONS_PER_TENANT plus the master pools exceeds the connections the server allows; requests will get 503s under load')
  }
}

/** The template new tenants are cloned from, brought to the latest migration; without one, tenants are migrated. */
async function prepareTemplate (config: RuntimeConfig, sql: Sql, options: RuntimeOptions, log: Logger): Promise<TemplateDatabase | undefined> {
  if (options.useTemplate === false) return undefined
  const masterName = decodeURIComponent(new URL(config.databaseUrl).pathname.slice(1))
  const template = createTemplateDatabase({ name: templateNameFor(masterName), adminUrl: config.databaseUrl })
  try {
    await template.ensure(sql)
  } catch (error) {
    log.warn({ err: error }, 'the tenant template could not be prepared; new tenants will be created and migrated instead')
  }
  return template
}
