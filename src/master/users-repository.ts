// User records in the master database. Every read and write of a tenant's users is scoped by tenant id.
import { and, count, desc, eq, getTableColumns, inArray, isNull, sql } from 'drizzle-orm'
import { keyset, type Keyset } from '../pagination.ts'
import { lazily } from '../prepared-queries.ts'
import { ConflictError } from '../errors.ts'
import { sqlState, UNIQUE_VIOLATION } from '../postgres-errors.ts'
import type { MasterDb } from './database.ts'
import { refreshTokens, tenants, users, type TenantStatus, type User, type UserRole } from './schema.ts'
import { sessionsLock } from './session-lock.ts'

/** `tenantId` null means the platform scope (platform admins). */
function inScope (tenantId: string | null) {
  return tenantId === null ? isNull(users.tenantId) : eq(users.tenantId, tenantId)
}

export type UsersRepository = ReturnType<typeof createUsersRepository>

export interface LoginTenant {
  id: string
  slug: string
  status: TenantStatus
}

export interface NewUser {
  tenantId: string | null
  email: string
  name?: string | null
  passwordHash: string
  role: UserRole
}

export interface UserChanges {
  name?: string | null
  passwordHash?: string
  role?: UserRole
}

type Tx = Parameters<Parameters<MasterDb['transaction']>[0]>[0]

/** Locks the tenant's row (the mutex for changes to its owners), then the user's, and returns the user as it is now. */
async function lockForChange (tx: Tx, tenantId: string | null, id: string): Promise<User | undefined> {
  if (tenantId !== null) await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId)).for('no key update')
  // The user's sessions first, as refreshes take them: the refreshes in flight finish, the next ones wait for this.
  await tx.execute(sql`select ${sessionsLock(id, 'exclusive')}`)
  const [row] = await tx.select().from(users).where(and(inScope(tenantId), eq(users.id, id))).for('update')
  return row
}

async function assertAnotherOwner (tx: Tx, target: User): Promise<void> {
  if (target.role !== 'owner' || target.tenantId === null) return
  const [row] = await tx.select({ value: count() }).from(users).where(and(eq(users.tenantId, target.tenantId), eq(users.role, 'owner')))
  if ((row?.value ?? 0) <= 1) throw new ConflictError('A tenant must keep at least one owner')
}

async function revokeSessions (tx: Tx, userId: string): Promise<void> {
  await tx.update(refreshTokens).set({ revokedAt: sql`now()` }).where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)))
}

/** The same for a prepared query: the platform scope, or the tenant given as placeholder `tenantId` when it runs. */
function inPlaceholderScope (platform: boolean) {
  return platform ? isNull(users.tenantId) : eq(users.tenantId, sql.placeholder('tenantId'))
}

/** Look-ups, lists and counts are drizzle prepared queries (src/prepared-queries.ts), built on first use; writes are not. */
export function createUsersRepository (db: MasterDb) {
  const byId = lazily(() => db.select().from(users).where(eq(users.id, sql.placeholder('id'))).prepare('users_by_id'))
  // Each in two forms, one per kind of scope: the platform's (tenant_id is null) and a tenant's.
  const scoped = <T> (name: string, build: (platform: boolean, name: string) => T) => {
    const platform = lazily(() => build(true, `${name}_platform`))
    const tenant = lazily(() => build(false, `${name}_tenant`))
    return (tenantId: string | null) => tenantId === null ? platform() : tenant()
  }
  const inScopeById = scoped('users_by_id_in_scope', (platform, name) => db.select().from(users)
    .where(and(inPlaceholderScope(platform), eq(users.id, sql.placeholder('id')))).prepare(name))
  const withRole = scoped('users_count_with_role', (platform, name) => db.select({ value: count() }).from(users)
    .where(and(inPlaceholderScope(platform), eq(users.role, sql.placeholder('role')))).prepare(name))
  const platformLogin = lazily(() => db.select().from(users)
    .where(and(isNull(users.tenantId), eq(users.email, sql.placeholder('email')))).prepare('users_login_platform'))
  const tenantLogin = lazily(() => db.select({ user: users, tenant: { id: tenants.id, slug: tenants.slug, status: tenants.status } })
    .from(users).innerJoin(tenants, eq(tenants.id, users.tenantId))
    .where(and(eq(tenants.slug, sql.placeholder('slug')), eq(users.email, sql.placeholder('email')), inArray(tenants.status, ['active', 'suspended'])))
    .prepare('users_login_tenant'))
  const listing = (name: string, after: boolean) => lazily(() => db
    .select({ ...getTableColumns(users), keysetAt: keyset.at(users.createdAt) })
    .from(users)
    .where(and(eq(users.tenantId, sql.placeholder('tenantId')), after ? keyset.after(users.createdAt, users.id) : undefined))
    .orderBy(desc(users.createdAt), desc(users.id))
    .limit(sql.placeholder('limit'))
    .prepare(name))
  const list = listing('users_list', false)
  const listAfter = listing('users_list_after', true)

  return {
    async findById (id: string): Promise<User | undefined> {
      const [row] = await byId().execute({ id })
      return row
    },

    async findInScope (tenantId: string | null, id: string): Promise<User | undefined> {
      const [row] = await inScopeById(tenantId).execute({ tenantId, id })
      return row
    },

    /**
     * The user a login names, with its tenant: one query of the same shape whether or not the tenant exists, so that
     * the time a failed login takes does not tell. Tenants half-made or half-deleted are not found.
     */
    async findForLogin (slug: string | undefined, email: string): Promise<{ user: User, tenant: LoginTenant | null } | undefined> {
      if (slug === undefined) {
        const [user] = await platformLogin().execute({ email: email.toLowerCase() })
        return user === undefined ? undefined : { user, tenant: null }
      }
      const [row] = await tenantLogin().execute({ slug, email: email.toLowerCase() })
      return row
    },

    async list (tenantId: string, limit: number, after?: Keyset): Promise<Array<User & { keysetAt: string }>> {
      if (after === undefined) return list().execute({ tenantId, limit })
      return listAfter().execute({ tenantId, limit, afterAt: after.at, afterId: after.id })
    },

    /** Undefined when the email is already taken in that scope. */
    async create (values: NewUser): Promise<User | undefined> {
      try {
        const [row] = await db.insert(users).values({ ...values, email: values.email.toLowerCase() }).returning()
        return row
      } catch (error) {
        if (sqlState(error) === UNIQUE_VIOLATION) return undefined
        throw error
      }
    },

    /**
     * Changes a user, checked by `guard` against its current row (locked). A new password or role ends the user's
     * sessions in the same transaction: its token version goes up, so older access tokens lose their power, and its
     * refresh tokens are revoked. An owner stops being one only while another remains: the tenant's row is locked for
     * the check, so two owners demoting each other at once cannot both succeed.
     */
    async update (
      tenantId: string | null,
      id: string,
      changes: UserChanges,
      guard: (target: User) => void = () => {},
    ): Promise<User | undefined> {
      return db.transaction(async (tx) => {
        const target = await lockForChange(tx, tenantId, id)
        if (target === undefined) return undefined
        guard(target)
        if (changes.role !== undefined && changes.role !== 'owner') await assertAnotherOwner(tx, target)
        const endsSessions = changes.passwordHash !== undefined || (changes.role !== undefined && changes.role !== target.role)
        const [row] = await tx.update(users)
          .set({ ...changes, updatedAt: sql`now()`, ...(endsSessions && { tokenVersion: sql`${users.tokenVersion} + 1` }) })
          .where(eq(users.id, id))
          .returning()
        if (endsSessions) await revokeSessions(tx, id)
        return row
      })
    },

    /** Removes a user (its refresh tokens go with it); the tenant's last owner stays, as in `update`. */
    async remove (tenantId: string, id: string, guard: (target: User) => void = () => {}): Promise<boolean> {
      return db.transaction(async (tx) => {
        const target = await lockForChange(tx, tenantId, id)
        if (target === undefined) return false
        guard(target)
        await assertAnotherOwner(tx, target)
        await tx.delete(users).where(eq(users.id, id))
        return true
      })
    },

    async removeAllOfTenant (tenantId: string): Promise<void> {
      await db.delete(users).where(eq(users.tenantId, tenantId))
    },

    async countWithRole (tenantId: string | null, role: UserRole): Promise<number> {
      const [row] = await withRole(tenantId).execute({ tenantId, role })
      return row?.value ?? 0
    },
  }
}
