// Decorates the app with the provisioner: records the database server, keeps the template current, recovers crashed work.
import fp from 'fastify-plugin'
import { ensureDefaultServer } from '../../master/database-servers-repository.ts'
import { createProvisioner, type Provisioner, type ProvisionerOptions } from '../../provisioning/provisioner.ts'
import { createTemplateDatabase, templateNameFor } from '../../provisioning/template.ts'

declare module 'fastify' {
  interface FastifyInstance {
    provisioner: Provisioner
  }
}

export interface ProvisioningPluginOptions {
  /** Tests inject failures through this. */
  beforeStep?: ProvisionerOptions['beforeStep']
  /** `false` provisions by create-then-migrate instead of cloning the template. */
  useTemplate?: boolean
}

/** Connections a tenant's role and database accept beyond its pool: a migration and an operator's session. */
export const CONNECTION_RESERVE = 2

export default fp<ProvisioningPluginOptions>(async function provisioning (app, options) {
  const { config, master, metrics } = app
  const adminUrl = config.databaseUrl as string
  const serverId = await ensureDefaultServer(master.db, adminUrl)

  const masterName = decodeURIComponent(new URL(adminUrl).pathname.slice(1))
  const template = options.useTemplate === false ? undefined : createTemplateDatabase({ name: templateNameFor(masterName), adminUrl })
  try {
    await template?.ensure(master.sql)
  } catch (error) {
    app.log.warn({ err: error }, 'the tenant template could not be prepared; new tenants will be created and migrated instead')
  }

  const provisioner = createProvisioner({
    master,
    adminUrl,
    serverId,
    tenantDbSecret: config.tenantDbSecret,
    connectionLimit: config.pool.maxConnectionsPerTenant + CONNECTION_RESERVE,
    template,
    beforeStep: options.beforeStep,
    log: app.log,
    onTenantChanged: (slug) => {
      app.tenantDirectory.invalidate(slug)
      app.tenantConnections.evict(slug)
    },
  })

  const recovered = await provisioner.recover()
  if (recovered.length > 0) app.log.warn({ tenants: recovered }, 'cleaned up tenants left half-provisioned or half-deleted by a crash')

  app.decorate('provisioner', {
    ...provisioner,
    async provision (request) {
      const stop = metrics.provisioningSeconds.startTimer()
      try {
        const result = await provisioner.provision(request)
        stop({ result: 'created' })
        metrics.tenantsProvisioned.inc({ result: 'created' })
        return result
      } catch (error) {
        const result = (error as { statusCode?: number }).statusCode === 409 ? 'conflict' : 'failed'
        stop({ result })
        metrics.tenantsProvisioned.inc({ result })
        throw error
      }
    },
  })
}, { name: 'provisioning', dependencies: ['config', 'master-database', 'metrics', 'tenant-connections'] })
