// User records in the master database. Every read and write of a tenant's users is scoped by tenant id.
import { and, count, desc, eq, getTableColumns, isNull, sql } from 'drizzle-orm'
import { keyset, type Keyset } from '../pagination.ts'
import { sqlState, UNIQUE_VIOLATION } from '../postgres-errors.ts'
import type { MasterDb } from './database.ts'
import { users, type User, type UserRole } from './schema.ts'

/** `tenantId` null means the platform scope (platform admins). */
function inScope (tenantId: string | null) {
  return tenantId === null ? isNull(users.tenantId) : eq(users.tenantId, tenantId)
}

export type UsersRepository = ReturnType<typeof createUsersRepository>

export function createUsersRepository (db: MasterDb) {
  return {
    async findById (id: string): Promise<User | undefined> {
      const [row] = await db.select().from(users).where(eq(users.id, id))
      return row
    },

    async findInScope (tenantId: string | null, id: string): Promise<User | undefined> {
      const [row] = await db.select().from(users).where(and(inScope(tenantId), eq(users.id, id)))
      return row
    },

    async findByEmail (tenantId: string | null, email: string): Promise<User | undefined> {
      const [row] = await db.select().from(users).where(and(inScope(tenantId), eq(users.email, email.toLowerCase())))
      return row
    },

    async list (tenantId: string, limit: number, after?: Keyset): Promise<Array<User & { keysetAt: string }>> {
      return db.select({ ...getTableColumns(users), keysetAt: keyset.at(users.createdAt) })
        .from(users)
        .where(and(eq(users.tenantId, tenantId), after === undefined ? undefined : keyset.after(users.createdAt, users.id, after)))
        .orderBy(desc(users.createdAt), desc(users.id))
        .limit(limit)
    },

    /** Undefined when the email is already taken in that scope. */
    async create (values: { tenantId: string | null, email: string, name?: string | null, passwordHash: string, role: UserRole }): Promise<User | undefined> {
      try {
        const [row] = await db.insert(users).values({ ...values, email: values.email.toLowerCase() }).returning()
        return row
      } catch (error) {
        if (sqlState(error) === UNIQUE_VIOLATION) return undefined
        throw error
      }
    },

    async update (tenantId: string | null, id: string, changes: { name?: string | null, passwordHash?: string, role?: UserRole, email?: string }): Promise<User | undefined> {
      const [row] = await db.update(users)
        .set({ ...changes, ...(changes.email !== undefined && { email: changes.email.toLowerCase() }), updatedAt: sql`now()` })
        .where(and(inScope(tenantId), eq(users.id, id)))
        .returning()
      return row
    },

    async remove (tenantId: string, id: string): Promise<boolean> {
      const rows = await db.delete(users).where(and(eq(users.tenantId, tenantId), eq(users.id, id))).returning({ id: users.id })
      return rows.length > 0
    },

    async removeAllOfTenant (tenantId: string): Promise<void> {
      await db.delete(users).where(eq(users.tenantId, tenantId))
    },

    async countWithRole (tenantId: string | null, role: UserRole): Promise<number> {
      const [row] = await db.select({ value: count() }).from(users).where(and(inScope(tenantId), eq(users.role, role)))
      return row?.value ?? 0
    },
  }
}
