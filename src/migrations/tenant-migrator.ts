// Brings one tenant database to the latest tenant migration and records its version in the master database.
import type { TenantsRepository } from '../master/tenants-repository.ts'
import { databaseUrl } from '../tenant-database/admin.ts'
import { tenantDatabaseName } from '../tenant-database/identity.ts'
import { migrateDatabase, tenantMigrations } from './migrator.ts'

export type TenantMigrator = ReturnType<typeof createTenantMigrator>

export function createTenantMigrator (options: { adminUrl: string, tenants: Pick<TenantsRepository, 'recordSchemaVersion'> }) {
  return {
    latestVersion: tenantMigrations.latestVersion,
    /** Safe to call from several processes at once: the migrator serializes on an advisory lock in that database. */
    async migrate (slug: string): Promise<number> {
      const version = await migrateDatabase(databaseUrl(options.adminUrl, tenantDatabaseName(slug)), tenantMigrations)
      await options.tenants.recordSchemaVersion(slug, version)
      return version
    },
  }
}
