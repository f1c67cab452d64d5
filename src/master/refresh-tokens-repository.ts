// Opaque refresh tokens, stored as SHA-256 hashes, rotated on use; presenting a spent one revokes its whole family.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { and, eq, isNull, sql } from 'drizzle-orm'
import type { MasterDb } from './database.ts'
import { refreshTokens, tenants, users, type UserRole } from './schema.ts'
import { sessionsLock } from './session-lock.ts'

export type RefreshTokensRepository = ReturnType<typeof createRefreshTokensRepository>

/** Who a rotated token belongs to, as the master says now: what the new access token carries. */
export interface TokenOwner {
  id: string
  role: UserRole
  tokenVersion: number
  tenant: { id: string, slug: string } | null
}

export type Rotation =
  | { outcome: 'rotated', user: TokenOwner, token: string }
  | { outcome: 'reused' | 'invalid' }

function hashToken (token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

export function createRefreshTokensRepository (db: MasterDb, ttlDays: number) {
  async function insert (tx: Pick<MasterDb, 'insert'>, owner: Pick<TokenOwner, 'id' | 'tokenVersion'>, familyId: string): Promise<string> {
    const token = randomBytes(32).toString('base64url')
    await tx.insert(refreshTokens).values({
      userId: owner.id,
      familyId,
      tokenVersion: owner.tokenVersion,
      tokenHash: hashToken(token),
      expiresAt: sql`now() + make_interval(days => ${ttlDays})`,
    })
    return token
  }

  return {
    /** Starts a new family (one login) and returns its first token. */
    issue (owner: Pick<TokenOwner, 'id' | 'tokenVersion'>): Promise<string> {
      return db.transaction(async (tx) => {
        await tx.execute(sql`select ${sessionsLock(owner.id, 'shared')}`)
        return insert(tx, owner, randomUUID())
      })
    },

    /**
     * Spends `token` and returns its successor, for a user that still exists in a tenant that is active. Row-locked,
     * so two concurrent uses of one token cannot both succeed: the loser sees it spent, which is treated as theft and
     * revokes the family. Everything it reads comes in the one locked query: the transaction holds a connection of
     * the pool and never asks the pool for another, so any number of concurrent refreshes cannot starve it.
     * It first takes its user's sessions lock (shared; see session-lock.ts), the lock a change that ends sessions
     * takes before anything else, so the two queue in one order and never deadlock. A token is spent only while its
     * user's token_version is the one it was issued under.
     */
    async rotate (token: string): Promise<Rotation> {
      const tokenHash = hashToken(token)
      return db.transaction(async (tx) => {
        const owner = sessionsLock(sql`${refreshTokens.userId}`, 'shared')
        await tx.execute(sql`select ${owner} from ${refreshTokens} where ${refreshTokens.tokenHash} = ${tokenHash}`)
        const [row] = await tx.select({
          id: refreshTokens.id,
          familyId: refreshTokens.familyId,
          expiresAt: refreshTokens.expiresAt,
          usedAt: refreshTokens.usedAt,
          tokenVersion: refreshTokens.tokenVersion,
          revokedAt: refreshTokens.revokedAt,
          user: { id: users.id, role: users.role, tokenVersion: users.tokenVersion },
          tenant: { id: tenants.id, slug: tenants.slug, status: tenants.status },
        })
          .from(refreshTokens)
          .innerJoin(users, eq(users.id, refreshTokens.userId))
          .leftJoin(tenants, eq(tenants.id, users.tenantId))
          .where(eq(refreshTokens.tokenHash, tokenHash))
          .for('update', { of: refreshTokens })
        if (row === undefined || row.revokedAt !== null || row.tokenVersion !== row.user.tokenVersion) return { outcome: 'invalid' } as const
        if (row.usedAt !== null) {
          await tx.update(refreshTokens).set({ revokedAt: sql`now()` }).where(and(eq(refreshTokens.familyId, row.familyId), isNull(refreshTokens.revokedAt)))
          return { outcome: 'reused' } as const
        }
        if (row.expiresAt.getTime() <= Date.now() || (row.tenant !== null && row.tenant.status !== 'active')) return { outcome: 'invalid' } as const
        await tx.update(refreshTokens).set({ usedAt: sql`now()` }).where(eq(refreshTokens.id, row.id))
        const tenant = row.tenant === null ? null : { id: row.tenant.id, slug: row.tenant.slug }
        return { outcome: 'rotated', user: { ...row.user, tenant }, token: await insert(tx, row.user, row.familyId) } as const
      })
    },

    /** Logout: ends the token's whole family (that login, on every device it was refreshed to). */
    async revokeFamilyOf (token: string): Promise<void> {
      const [row] = await db.select({ familyId: refreshTokens.familyId }).from(refreshTokens)
        .where(eq(refreshTokens.tokenHash, hashToken(token)))
      if (row === undefined) return
      await db.update(refreshTokens).set({ revokedAt: sql`now()` }).where(and(eq(refreshTokens.familyId, row.familyId), isNull(refreshTokens.revokedAt)))
    },
  }
}
