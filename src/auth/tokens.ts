// Issues the token pair a login or refresh answers with.
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { User } from '../master/schema.ts'
import type { RefreshTokensRepository } from '../master/refresh-tokens-repository.ts'

export interface TokenPair {
  access_token: string
  refresh_token: string
  token_type: 'Bearer'
  expires_in: number
}

export function accessToken (app: FastifyInstance, user: Pick<User, 'id' | 'role'>, tenantSlug: string | undefined): string {
  return app.jwt.sign({ sub: user.id, role: user.role, jti: randomUUID(), ...(tenantSlug !== undefined && { tid: tenantSlug }) })
}

export function tokenPair (app: FastifyInstance, user: Pick<User, 'id' | 'role'>, tenantSlug: string | undefined, refreshToken: string): TokenPair {
  return {
    access_token: accessToken(app, user, tenantSlug),
    refresh_token: refreshToken,
    token_type: 'Bearer',
    expires_in: app.config.accessTokenTtlSeconds,
  }
}

export async function issueTokens (app: FastifyInstance, refreshTokens: RefreshTokensRepository, user: Pick<User, 'id' | 'role'>, tenantSlug: string | undefined): Promise<TokenPair> {
  return tokenPair(app, user, tenantSlug, await refreshTokens.issue(user.id))
}
