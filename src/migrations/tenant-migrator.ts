// Brings one tenant database to the latest tenant migration, on its own server, and records the outcome in the master:
// its version, or why it failed.
import type { TenantsRepository } from '../master/tenants-repository.ts'
import type { ServerRegistry } from '../servers/registry.ts'
import { databaseUrl } from '../tenant-database/admin.ts'
import { tenantDatabaseName } from '../tenant-database/identity.ts'
import { migrateDatabase, tenantMigrations } from './migrator.ts'

export type TenantMigrator = ReturnType<typeof createTenantMigrator>

export interface MigratableTenant {
  slug: string
  serverId: string
}

export function createTenantMigrator (options: { servers: ServerRegistry, tenants: Pick<TenantsRepository, 'recordSchemaVersion' | 'recordMigrationError'> }) {
  return {
    latestVersion: tenantMigrations.latestVersion,
    /** Safe to call from several processes at once: the migrator serializes on an advisory lock in that database. */
    async migrate (tenant: MigratableTenant): Promise<number> {
      try {
        const server = options.servers.get(tenant.serverId)
        const version = await migrateDatabase(databaseUrl(server.adminUrl, tenantDatabaseName(tenant.slug)), tenantMigrations)
        await options.tenants.recordSchemaVersion(tenant.slug, version)
        return version
      } catch (error) {
        await options.tenants.recordMigrationError(tenant.slug, (error as Error).message).catch(() => {})
        throw error
      }
    },
  }
}
