// Tenant records in the master database: reservation, lifecycle and where each tenant's database lives.
import { and, desc, eq, getTableColumns, inArray, sql } from 'drizzle-orm'
import { sqlState, UNIQUE_VIOLATION } from '../postgres-errors.ts'
import type { MasterDb } from './database.ts'
import { databaseServers, tenants, type Tenant, type TenantStatus } from './schema.ts'
import { keyset, type Keyset } from '../pagination.ts'
import { lazily } from '../prepared-queries.ts'

/** What the request path and the connection manager need to know about a tenant. */
export interface TenantLocation {
  id: string
  slug: string
  status: TenantStatus
  databaseName: string
  serverId: string
  host: string
  port: number
  schemaVersion: number
}

export type TenantsRepository = ReturnType<typeof createTenantsRepository>

/** A tenant half-made (`provisioning`) or half-deleted (`deleting`) does not exist for anyone but the lifecycle. */
export function isServing (status: TenantStatus): status is 'active' | 'suspended' {
  return status === 'active' || status === 'suspended'
}

/** Look-ups and lists are drizzle prepared queries (src/prepared-queries.ts), built on first use; writes are not. */
export function createTenantsRepository (db: MasterDb) {
  const bySlug = lazily(() => db.select().from(tenants).where(eq(tenants.slug, sql.placeholder('slug'))).prepare('tenants_by_slug'))
  const byId = lazily(() => db.select().from(tenants).where(eq(tenants.id, sql.placeholder('id'))).prepare('tenants_by_id'))
  const location = lazily(() => db.select({
    id: tenants.id,
    slug: tenants.slug,
    status: tenants.status,
    databaseName: tenants.databaseName,
    schemaVersion: tenants.schemaVersion,
    serverId: tenants.serverId,
    host: databaseServers.host,
    port: databaseServers.port,
  }).from(tenants).innerJoin(databaseServers, eq(tenants.serverId, databaseServers.id)).where(eq(tenants.slug, sql.placeholder('slug'))).prepare('tenants_location'))
  const listing = (name: string, after: boolean) => lazily(() => db
    .select({ ...getTableColumns(tenants), keysetAt: keyset.at(tenants.createdAt) })
    .from(tenants)
    .where(after ? keyset.after(tenants.createdAt, tenants.id) : undefined)
    .orderBy(desc(tenants.createdAt), desc(tenants.id))
    .limit(sql.placeholder('limit'))
    .prepare(name))
  const list = listing('tenants_list', false)
  const listAfter = listing('tenants_list_after', true)

  return {
    async findBySlug (slug: string): Promise<Tenant | undefined> {
      const [row] = await bySlug().execute({ slug })
      return row
    },

    async findById (id: string): Promise<Tenant | undefined> {
      const [row] = await byId().execute({ id })
      return row
    },

    async findLocation (slug: string): Promise<TenantLocation | undefined> {
      const [row] = await location().execute({ slug })
      return row
    },

    /** Newest first; `after` is the keyset of the last row of the previous page. */
    async list (limit: number, after?: Keyset): Promise<Array<Tenant & { keysetAt: string }>> {
      return after === undefined ? list().execute({ limit }) : listAfter().execute({ limit, afterAt: after.at, afterId: after.id })
    },

    async listByStatus (statuses: TenantStatus[]): Promise<Tenant[]> {
      return db.select().from(tenants).where(inArray(tenants.status, statuses)).orderBy(tenants.slug)
    },

    /** Inserts the tenant in state `provisioning`; undefined when the slug is taken. */
    async reserve (values: { slug: string, name: string, databaseName: string, serverId: string }): Promise<Tenant | undefined> {
      try {
        const [row] = await db.insert(tenants).values({ ...values, status: 'provisioning' }).returning()
        return row
      } catch (error) {
        if (sqlState(error) === UNIQUE_VIOLATION) return undefined
        throw error
      }
    },

    async recordStep (id: string, step: string): Promise<void> {
      await db.update(tenants).set({ provisioningStep: step, updatedAt: sql`now()` }).where(eq(tenants.id, id))
    },

    async activate (id: string, schemaVersion: number): Promise<Tenant | undefined> {
      const [row] = await db.update(tenants)
        .set({ status: 'active', schemaVersion, provisioningStep: null, updatedAt: sql`now()` })
        .where(and(eq(tenants.id, id), eq(tenants.status, 'provisioning')))
        .returning()
      return row
    },

    async update (slug: string, changes: { name?: string, status?: 'active' | 'suspended' | 'deleting' }): Promise<Tenant | undefined> {
      const [row] = await db.update(tenants).set({ ...changes, updatedAt: sql`now()` })
        .where(and(eq(tenants.slug, slug), inArray(tenants.status, ['active', 'suspended'])))
        .returning()
      return row
    },

    /** A migration of the tenant's database succeeded: its version, and no error any more. */
    async recordSchemaVersion (slug: string, schemaVersion: number): Promise<void> {
      await db.update(tenants).set({ schemaVersion, migrationError: null, updatedAt: sql`now()` }).where(eq(tenants.slug, slug))
    },

    /** A migration failed: why, kept until one succeeds (`tenancy status` shows it). */
    async recordMigrationError (slug: string, error: string): Promise<void> {
      await db.update(tenants).set({ migrationError: error.slice(0, 2000), updatedAt: sql`now()` }).where(eq(tenants.slug, slug))
    },

    async remove (id: string): Promise<void> {
      await db.delete(tenants).where(eq(tenants.id, id))
    },
  }
}
