// Each server's template database, brought to the latest tenant migration once per process (and again by `tenancy
// migrate`), before a tenant is cloned from it. A template that cannot be prepared means create-then-migrate instead.
import type { Logger } from '../logging.ts'
import { tenantMigrations } from '../migrations/migrator.ts'
import type { ServerHandle } from './registry.ts'

export function templateKeeper (log: Logger) {
  const preparing = new Map<string, Promise<boolean>>()

  /** Whether the server's template is at the latest migration (so tenants are cloned from it). Single flight per server. */
  async function ensure (server: ServerHandle, again = false): Promise<boolean> {
    const { template } = server
    if (template === undefined) return false
    if (!again && template.version === tenantMigrations.latestVersion) return true
    let pending = preparing.get(server.id)
    if (pending === undefined) {
      pending = template.ensure(server.admin()).then((version) => version === tenantMigrations.latestVersion, (error: unknown) => {
        log.warn({ err: error, server: server.name }, 'the tenant template could not be prepared; new tenants there are created and migrated instead')
        return false
      }).finally(() => { preparing.delete(server.id) })
      preparing.set(server.id, pending)
    }
    return pending
  }

  return { ensure }
}
