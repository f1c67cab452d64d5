// Reserving a new tenant's row on the server placement picks, under that server's row lock: two tenants made at once
// cannot both take a server's last place.
import type { Tenant } from '../master/schema.ts'
import { hasRoom, place } from '../servers/placement.ts'
import type { ServerHandle, ServerRegistry } from '../servers/registry.ts'
import { SlugTakenError } from '../errors.ts'
import type { TenantSession } from './tenant-lock.ts'

export async function reserveOnServer (
  session: TenantSession,
  servers: ServerRegistry,
  values: { slug: string, name: string, databaseName: string },
  named: string | undefined,
): Promise<{ tenant: Tenant, server: ServerHandle }> {
  const { sql } = session
  for (;;) {
    const counts = new Map((await sql<{ id: string, n: number }[]>`select server_id as id, count(*)::int as n from tenants group by server_id`).map((row) => [row.id, row.n]))
    const chosen = place(servers.all().map((server) => ({ ...server, tenants: counts.get(server.id) ?? 0 })), named)
    // On the session's one connection, so the statements below are one transaction (the pool's `begin` would take another).
    await sql`begin`
    try {
      const [locked] = await sql<{ maxTenants: number | null, status: string }[]>`
        select max_tenants as "maxTenants", status from database_servers where id = ${chosen.id} for update`
      const [count] = await sql<{ n: number }[]>`select count(*)::int as n from tenants where server_id = ${chosen.id}`
      // Changed since it was chosen (another tenant took the last place, or it began draining): choose again.
      if (locked === undefined || locked.status !== 'active' || !hasRoom({ maxTenants: locked.maxTenants, tenants: count?.n ?? 0 })) {
        await sql`rollback`
        await servers.reload()
        continue
      }
      const tenant = await session.tenants.reserve({ ...values, serverId: chosen.id })
      await sql`commit`
      if (tenant === undefined) throw new SlugTakenError()
      return { tenant, server: servers.get(chosen.id) }
    } catch (error) {
      await sql`rollback`.catch(() => {})
      throw error
    }
  }
}
