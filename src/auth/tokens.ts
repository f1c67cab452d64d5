// Issues the token pair a login or refresh answers with. The access token names the tenant by slug (`tid`) and by id
// (`tenant_id`): a slug can be recycled, an id cannot, and the tenant routes compare ids.
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { RefreshTokensRepository, TokenOwner } from '../master/refresh-tokens-repository.ts'

export interface TokenPair {
  access_token: string
  refresh_token: string
  token_type: 'Bearer'
  expires_in: number
}

export function accessToken (app: FastifyInstance, user: TokenOwner): string {
  return app.jwt.sign({
    sub: user.id,
    role: user.role,
    ver: user.tokenVersion,
    jti: randomUUID(),
    ...(user.tenant !== null && { tid: user.tenant.slug, tenant_id: user.tenant.id }),
  })
}

export function tokenPair (app: FastifyInstance, user: TokenOwner, refreshToken: string): TokenPair {
  return {
    access_token: accessToken(app, user),
    refresh_token: refreshToken,
    token_type: 'Bearer',
    expires_in: app.config.accessTokenTtlSeconds,
  }
}

export async function issueTokens (app: FastifyInstance, refreshTokens: RefreshTokensRepository, user: TokenOwner): Promise<TokenPair> {
  return tokenPair(app, user, await refreshTokens.issue(user))
}
