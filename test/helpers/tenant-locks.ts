// Holding a tenant's notes table locked from an admin session: how the hardening tests make a request deterministically slow.
import postgres from 'postgres'
import { databaseUrl } from './database.ts'

export interface HeldLock {
  /** Commits the locking transaction and closes its session; idempotent. */
  release (): Promise<void>
}

/** Takes ACCESS EXCLUSIVE on `notes` in the tenant's database and holds it until `release`. */
export async function lockNotes (slug: string): Promise<HeldLock> {
  const sql = postgres(databaseUrl(`tenant_${slug}`), { max: 1, onnotice: () => {} })
  let release!: () => void
  const released = new Promise<void>((resolve) => { release = resolve })
  let locked!: () => void
  const isLocked = new Promise<void>((resolve) => { locked = resolve })
  const transaction = sql.begin(async (tx) => {
    await tx`lock table notes in access exclusive mode`
    locked()
    await released
  })
  await Promise.race([isLocked, transaction])
  let ending: Promise<void> | undefined
  return { release: () => (ending ??= (async () => { release(); await transaction; await sql.end() })()) }
}
