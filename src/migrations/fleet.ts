// Rolls the tenant schema out to many tenants at once: bounded concurrency, and one failure never stops the others.
import pLimit from 'p-limit'
import type { Tenant } from '../master/schema.ts'
import type { TenantMigrator } from './tenant-migrator.ts'

export interface MigrationOutcome {
  slug: string
  from: number
  to?: number
  error?: string
  ms: number
}

export async function migrateTenants (
  migrator: TenantMigrator,
  tenants: Array<Pick<Tenant, 'slug' | 'schemaVersion' | 'serverId'>>,
  options: { concurrency: number, onDone?: (outcome: MigrationOutcome) => void },
): Promise<MigrationOutcome[]> {
  const limit = pLimit(options.concurrency)
  return Promise.all(tenants.map((tenant) => limit(async () => {
    const started = performance.now()
    let outcome: MigrationOutcome
    try {
      const to = await migrator.migrate(tenant)
      outcome = { slug: tenant.slug, from: tenant.schemaVersion, to, ms: performance.now() - started }
    } catch (error) {
      outcome = { slug: tenant.slug, from: tenant.schemaVersion, error: (error as Error).message, ms: performance.now() - started }
    }
    options.onDone?.(outcome)
    return outcome
  })))
}
