// createRuntime(config): the product without HTTP. The master database, the servers tenants live on, the tenant
// directory, the pools (per server), the lifecycle (provisioning included) and the migrator, built once per process;
// the HTTP app and the CLI wrap it.
import postgres from 'postgres'
import type { ResolvedConfig } from './config.ts'
import { openEmbeddedMaster } from './embedded-postgres.ts'
import { ServerPools } from './connections/server-pools.ts'
import { TenantConnectionManager } from './connections/tenant-connection-manager.ts'
import { postgresConnector } from './connections/tenant-pool.ts'
import { reconcileConnectionLimits, tenantConnectionLimit } from './lifecycle/connection-limits.ts'
import type { ProvisioningStep } from './lifecycle/provisioner.ts'
import { createTenantLifecycle } from './lifecycle/tenant-lifecycle.ts'
import { tenantLocks } from './lifecycle/tenant-lock.ts'
import { createLogger, type Logger } from './logging.ts'
import { connectMaster, MASTER_POOL_SIZE, requestLimits } from './master/database.ts'
import { liveInstances, registerInstance } from './master/instances.ts'
import { ensureDefaultServer } from './master/servers-repository.ts'
import { assertMayProvision, closeToPublic, installationMark, migrateMaster, SERVER_DATABASES } from './master/startup.ts'
import { createTenantDirectory } from './master/tenant-directory.ts'
import { listenForTenantEvents, tenantEventPublisher } from './master/tenant-events.ts'
import { createMetrics, registerPoolMetrics } from './metrics.ts'
import { createTenantMigrator } from './migrations/tenant-migrator.ts'
import { boundedPool } from './postgres-sessions.ts'
import { ADMIN_POOL_SIZE, createServerRegistry, type ServerHandle } from './servers/registry.ts'
import { createServersService } from './servers/servers-service.ts'
import { templateKeeper } from './servers/templates.ts'
import { tenantRoleName, tenantRolePassword } from './tenant-database/identity.ts'

/** A configuration whose master database is known (the embedded server's, when DATABASE_URL was unset). */
export type RuntimeConfig = ResolvedConfig & { databaseUrl: string }

export interface RuntimeOptions {
  log?: Logger
  /** Listen for changes made by other processes, and count as a live instance (default true; not for a CLI command). */
  listen?: boolean
  /** `false` provisions by create-then-migrate instead of cloning the template. */
  useTemplate?: boolean
  /** Runs before each provisioning step; tests inject failures here. */
  beforeStep?: (step: ProvisioningStep, slug: string) => void | Promise<void>
}

/** Master connections of the lifecycle's own pool: at most this many tenant changes run at once, off the request pool. */
const LIFECYCLE_POOL_SIZE = 4
/** Connections one instance holds on the master's server besides tenant pools: what that server's budget leaves them. */
const MASTER_CONNECTIONS_PER_INSTANCE = MASTER_POOL_SIZE + LIFECYCLE_POOL_SIZE + ADMIN_POOL_SIZE + 1

export type Runtime = Awaited<ReturnType<typeof createRuntime>>

/**
 * What the server and the CLI run on: the runtime on DATABASE_URL, or else on the embedded PostgreSQL, started here (or,
 * with `reuseEmbedded`, the one a running `npm start` already serves). Closing the runtime stops what was started.
 */
export async function startRuntime (config: ResolvedConfig, options: RuntimeOptions & { reuseEmbedded?: boolean } = {}): Promise<Runtime> {
  if (config.databaseUrl !== undefined) return createRuntime({ ...config, databaseUrl: config.databaseUrl }, options)
  const embedded = await openEmbeddedMaster({
    dataDir: config.dataDir,
    port: config.embeddedPostgresPort,
    reuseRunning: options.reuseEmbedded === true,
  })
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
  await migrateMaster(adminUrl)
  const master = connectMaster(adminUrl, config)
  // The lifecycle's own pool on the master: tenant locks and the master side of tenant changes, off the request pool.
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
    const [database] = await master.sql<{ name: string }[]>`select current_database() as name`
    await closeToPublic(master.sql, log, [database?.name as string, ...SERVER_DATABASES])
    const mark = await installationMark(master.sql)
    await ensureDefaultServer(master.db, adminUrl)
    const servers = await createServerRegistry({
      servers: master.servers,
      tenantDbSecret: config.tenantDbSecret,
      defaultAdminUrl: adminUrl,
      useTemplate: options.useTemplate !== false,
      log,
    })
    closing.unshift(() => servers.close())
    const templates = templateKeeper(log)
    await templates.ensure(servers.default())
    // The master's own server now (it answers: the master is on it); the others in the background, so that a server
    // that is down delays nothing (its budget is assumed until it answers; see ServerRegistry.budget).
    await servers.survey(servers.default())

    // A process that serves (not a CLI command) registers, so that what all instances share counts it.
    const instance = options.listen === false
      ? undefined
      : await registerInstance(master.sql, () => { void servers.survey().then(applyShares) })
    if (instance !== undefined) closing.unshift(() => instance.close())
    const othersLive = instance === undefined ? await liveInstances(master.sql) : 0
    const live = () => instance?.live() ?? othersLive

    const metrics = createMetrics()
    const directory = createTenantDirectory(master.tenants, config.tenantCacheTtlSeconds)
    const migrator = createTenantMigrator({ servers, tenants: master.tenants })
    const connect = postgresConnector({
      ...config.pool,
      ...requestLimits(config.requestTimeoutMs),
      connectTimeoutSeconds: Math.min(config.pool.connectTimeoutSeconds, config.requestTimeoutMs / 1000),
    })
    /** This instance's pools on a server: its share of the server's budget, in pools as wide as a busy tenant's. */
    const slotsOn = (server: ServerHandle) => {
      const share = servers.budget(server, MASTER_CONNECTIONS_PER_INSTANCE, live()) / Math.max(1, live())
      return Math.floor(share / config.pool.maxConnectionsPerTenant)
    }
    const pools = new ServerPools((serverId) => new TenantConnectionManager({
      ...config.pool,
      slots: Math.max(1, slotsOn(servers.get(serverId))),
      async locate (slug) {
        const tenant = await directory.serving(slug)
        // Behind after a deploy: migrate before the first query. The manager's single flight makes this once per process.
        if (tenant.schemaVersion < migrator.latestVersion) {
          await migrator.migrate(tenant)
          directory.invalidate(slug)
        }
        return {
          tenantId: tenant.id,
          host: tenant.host,
          port: tenant.port,
          database: tenant.databaseName,
          username: tenantRoleName(slug),
          password: tenantRolePassword(config.tenantDbSecret, slug),
        }
      },
      connect,
      observer: { opened: (_slug, seconds) => { metrics.poolOpenSeconds.observe(seconds) } },
    }))
    closing.unshift(() => pools.close())
    const applyShares = () => { for (const server of servers.all()) pools.resize(server.id, slotsOn(server)) }
    void servers.survey().then(applyShares)
    registerPoolMetrics(metrics.registry, pools, (id) => servers.all().find((server) => server.id === id)?.name ?? id)

    const forget = (slug: string) => {
      directory.invalidate(slug)
      pools.evict(slug)
    }
    const serversChanged = () => { void servers.reload().then(() => servers.survey()).then(applyShares).catch((error: unknown) => { log.warn({ err: error }, 'could not reload the database servers') }) }
    const events = options.listen === false
      ? tenantEventPublisher(master.sql)
      : await listenForTenantEvents(master.sql, { changed: forget, resync: () => { directory.clear() }, serversChanged })
    closing.unshift(() => events.close())

    const connectionLimit = () => tenantConnectionLimit(config.pool.maxConnectionsPerTenant, live())
    const lifecycle = createTenantLifecycle({
      withTenantLock: tenantLocks({
        sql: lifecycleSql,
        connections: LIFECYCLE_POOL_SIZE,
        mark,
        tenantDbSecret: config.tenantDbSecret,
        connectionLimit,
      }),
      reconcile: (raiseOnly) => reconcileConnectionLimits(servers, master.tenants, connectionLimit(), raiseOnly),
      tenants: master.tenants,
      servers,
      ensureTemplate: (server) => templates.ensure(server),
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

    const serverAdmin = createServersService({
      repository: master.servers,
      registry: servers,
      events,
      tenantDbSecret: config.tenantDbSecret,
      budgetOf: (server) => servers.budget(server, MASTER_CONNECTIONS_PER_INSTANCE, live()),
      log,
    })

    return {
      config,
      log,
      metrics,
      master,
      servers,
      serverAdmin,
      templates,
      directory,
      connections: pools,
      migrator,
      lifecycle,
      events,
      mark,
      live,
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}
