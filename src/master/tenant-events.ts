// Tenant changes told to every process on the master database through PostgreSQL LISTEN/NOTIFY: a suspend, a rename or
// a deletion made by any instance or by the CLI reaches every running instance within moments, not a cache TTL.
import { randomUUID } from 'node:crypto'
import type { Sql } from 'postgres'

const CHANNEL = 'tenancy_tenant_changed'

export interface TenantEventHandlers {
  /** Another process changed the tenant. */
  changed (slug: string): void
  /** The listening connection was (re)established: notifications may have been missed meanwhile. */
  resync (): void
}

export interface TenantEvents {
  /** Tells every other listening process that the tenant changed. */
  publish (slug: string): Promise<void>
  close (): Promise<void>
}

/** Publishing only (the CLI): no connection is held to listen. */
export function tenantEventPublisher (sql: Sql, origin = randomUUID()): TenantEvents {
  return {
    async publish (slug) {
      await sql`select pg_notify(${CHANNEL}, ${JSON.stringify({ slug, origin })})`
    },
    async close () {},
  }
}

/** Publishes and listens, on a connection of its own that postgres.js re-establishes after a loss. */
export async function listenForTenantEvents (sql: Sql, handlers: TenantEventHandlers): Promise<TenantEvents> {
  const origin = randomUUID()
  const subscription = await sql.listen(CHANNEL, (payload) => {
    const event = parse(payload)
    if (event !== undefined && event.origin !== origin) handlers.changed(event.slug)
  }, handlers.resync)
  return {
    ...tenantEventPublisher(sql, origin),
    close: () => subscription.unlisten(),
  }
}

function parse (payload: string): { slug: string, origin: string } | undefined {
  try {
    const event = JSON.parse(payload) as { slug?: unknown, origin?: unknown }
    return typeof event.slug === 'string' && typeof event.origin === 'string' ? { slug: event.slug, origin: event.origin } : undefined
  } catch {
    return undefined
  }
}
