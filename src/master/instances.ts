// This process among the live app instances on the master database: registered at start, beating every few seconds,
// gone at close (or, after a crash, once its beat is stale). What all instances share is divided by `live()`.
import { hostname } from 'node:os'
import type { Sql } from 'postgres'

export const HEARTBEAT_MS = 5000
/** An instance not heard from for this long is taken for dead. */
const LIVE_WITHIN = '15 seconds'

export interface InstanceRegistration {
  id: string
  /** Live instances at the last beat, this one included. */
  live (): number
  close (): Promise<void>
}

/** How many instances are live now (at least the caller, which is one). */
export async function liveInstances (sql: Sql): Promise<number> {
  const [row] = await sql<{ live: number }[]>`select count(*)::int as live from instances where heartbeat_at > now() - ${LIVE_WITHIN}::interval`
  return Math.max(1, row?.live ?? 1)
}

export async function registerInstance (sql: Sql, onBeat: (live: number) => void = () => {}): Promise<InstanceRegistration> {
  const [row] = await sql<{ id: string }[]>`insert into instances (hostname, pid) values (${hostname()}, ${process.pid}) returning id`
  const id = row?.id as string
  let live = await liveInstances(sql)
  const beat = async () => {
    // A missed beat (the master away for a moment) is retried at the next one; nothing waits on it.
    const [beaten] = await sql<{ live: number }[]>`
      with me as (
        insert into instances (id, hostname, pid) values (${id}, ${hostname()}, ${process.pid})
        on conflict (id) do update set heartbeat_at = now()
      ), stale as (
        delete from instances where heartbeat_at < now() - interval '1 hour'
      )
      select count(*)::int + 1 as live from instances where heartbeat_at > now() - ${LIVE_WITHIN}::interval and id <> ${id}`
    live = beaten?.live ?? live
    onBeat(live)
  }
  const timer = setInterval(() => { beat().catch(() => {}) }, HEARTBEAT_MS)
  timer.unref()
  return {
    id,
    live: () => live,
    async close () {
      clearInterval(timer)
      await sql`delete from instances where id = ${id}`
    },
  }
}
