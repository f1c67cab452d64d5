// Opaque refresh tokens, stored as SHA-256 hashes, rotated on use; presenting a spent one revokes its whole family.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { and, eq, isNull, sql } from 'drizzle-orm'
import type { MasterDb } from './database.ts'
import { refreshTokens } from './schema.ts'

export type RefreshTokensRepository = ReturnType<typeof createRefreshTokensRepository>

export type Rotation =
  | { outcome: 'rotated', userId: string, token: string }
  | { outcome: 'reused' | 'invalid' }

function hashToken (token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

export function createRefreshTokensRepository (db: MasterDb, ttlDays: number) {
  async function insert (tx: Pick<MasterDb, 'insert'>, userId: string, familyId: string): Promise<string> {
    const token = randomBytes(32).toString('base64url')
    await tx.insert(refreshTokens).values({
      userId,
      familyId,
      tokenHash: hashToken(token),
      expiresAt: sql`now() + make_interval(days => ${ttlDays})`,
    })
    return token
  }

  return {
    /** Starts a new family (one login) and returns its first token. */
    issue (userId: string): Promise<string> {
      return insert(db, userId, randomUUID())
    },

    /**
     * Spends `token` and returns its successor. Row-locked, so two concurrent uses of one token cannot both
     * succeed: the loser sees it spent, which is treated as theft and revokes the family.
     */
    async rotate (token: string, isAllowed: (userId: string) => Promise<boolean>): Promise<Rotation> {
      return db.transaction(async (tx) => {
        const [row] = await tx.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, hashToken(token))).for('update')
        if (row === undefined || row.revokedAt !== null) return { outcome: 'invalid' } as const
        if (row.usedAt !== null) {
          await tx.update(refreshTokens).set({ revokedAt: sql`now()` }).where(and(eq(refreshTokens.familyId, row.familyId), isNull(refreshTokens.revokedAt)))
          return { outcome: 'reused' } as const
        }
        if (row.expiresAt.getTime() <= Date.now() || !(await isAllowed(row.userId))) return { outcome: 'invalid' } as const
        await tx.update(refreshTokens).set({ usedAt: sql`now()` }).where(eq(refreshTokens.id, row.id))
        return { outcome: 'rotated', userId: row.userId, token: await insert(tx, row.userId, row.familyId) } as const
      })
    },

    /** Logout: ends the token's whole family (that login, on every device it was refreshed to). */
    async revokeFamilyOf (token: string): Promise<void> {
      const [row] = await db.select({ familyId: refreshTokens.familyId }).from(refreshTokens).where(eq(refreshTokens.tokenHash, hashToken(token)))
      if (row === undefined) return
      await db.update(refreshTokens).set({ revokedAt: sql`now()` }).where(and(eq(refreshTokens.familyId, row.familyId), isNull(refreshTokens.revokedAt)))
    },

    async revokeAllOfUser (userId: string): Promise<void> {
      await db.update(refreshTokens).set({ revokedAt: sql`now()` }).where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)))
    },
  }
}
