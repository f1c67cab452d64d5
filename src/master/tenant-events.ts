// Tenant and server changes told to every process on the master database through PostgreSQL LISTEN/NOTIFY: a suspend,
// a deletion or a server added, by any instance or by the CLI, reaches every running instance within moments.
import { randomUUID } from 'node:crypto'
import type { Sql } from 'postgres'

const CHANNEL = 'tenancy_tenant_changed'
/** How often a listener pings itself through the channel, to notice a listening connection that did not come back. */
const PING_EVERY_MS = 2000

export interface TenantEventHandlers {
  /** Another process changed the tenant. */
  changed (slug: string): void
  /** Another process added, changed or removed a database server. */
  serversChanged (): void
  /** Listening (again): notifications may have been missed before, so nothing cached is trusted. */
  resync (): void
}

export interface TenantEvents {
  /** Tells every other listening process that the tenant changed. */
  publish (slug: string): Promise<void>
  /** Tells every other listening process that the database servers changed. */
  publishServers (): Promise<void>
  close (): Promise<void>
}

interface Event { origin: string, slug?: string, servers?: boolean }

/** Publishing only (the CLI): no connection is held to listen. */
export function tenantEventPublisher (sql: Sql, origin = randomUUID()): TenantEvents {
  return {
    async publish (slug) {
      await sql`select pg_notify(${CHANNEL}, ${JSON.stringify({ slug, origin })})`
    },
    async publishServers () {
      await sql`select pg_notify(${CHANNEL}, ${JSON.stringify({ servers: true, origin })})`
    },
    async close () {},
  }
}

/**
 * Publishes and listens, on a connection of its own. postgres.js listens again after that connection is lost, but
 * gives up if the server is still away at that moment: so the listener pings itself every two seconds, and listens
 * anew when three pings in a row went unheard.
 */
export async function listenForTenantEvents (sql: Sql, handlers: TenantEventHandlers): Promise<TenantEvents> {
  const origin = randomUUID()
  let heard = performance.now()
  const onNotify = (payload: string) => {
    const event = parse(payload)
    if (event === undefined) return
    if (event.origin === origin) heard = performance.now()
    else if (event.slug !== undefined) handlers.changed(event.slug)
    else if (event.servers === true) handlers.serversChanged()
  }
  const listen = () => sql.listen(CHANNEL, onNotify, () => {
    heard = performance.now()
    handlers.resync()
    handlers.serversChanged()
  })
  let subscription = await listen()
  let checking = false
  const watchdog = setInterval(() => {
    if (checking) return
    checking = true
    void (async () => {
      if (performance.now() - heard > 3 * PING_EVERY_MS) {
        await subscription.unlisten().catch(() => {})
        subscription = await listen().catch(() => subscription)
      }
      await sql`select pg_notify(${CHANNEL}, ${JSON.stringify({ origin })})`.catch(() => {})
    })().finally(() => { checking = false })
  }, PING_EVERY_MS)
  watchdog.unref()
  return {
    ...tenantEventPublisher(sql, origin),
    async close () {
      clearInterval(watchdog)
      await subscription.unlisten()
    },
  }
}

function parse (payload: string): Event | undefined {
  try {
    const event = JSON.parse(payload) as { slug?: unknown, origin?: unknown, servers?: unknown }
    if (typeof event.origin !== 'string' || (event.slug !== undefined && typeof event.slug !== 'string')) return undefined
    return { origin: event.origin, slug: event.slug as string | undefined, servers: event.servers === true }
  } catch {
    return undefined
  }
}
