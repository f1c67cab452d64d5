// JWT access tokens (HS256 only, `exp` required) and the guards routes use: `requireUser(...roles)` re-reads the caller
// from the master database, for routes that grant power; `authenticate` alone trusts the token until it expires.
import fp from 'fastify-plugin'
import jwt from '@fastify/jwt'
import { LRUCache } from 'lru-cache'
import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify'
import { ForbiddenError, UnauthorizedError } from '../../errors.ts'
import type { User, UserRole } from '../../master/schema.ts'

export interface AccessClaims {
  sub: string
  role: UserRole
  /** The user's token version when the token was issued: a password or role change since makes it stale. */
  ver: number
  /** The tenant slug and id; both absent for a platform admin. */
  tid?: string
  tenant_id?: string
  jti: string
  /** When the token expires, in seconds since the epoch: set in signing, from ACCESS_TOKEN_TTL_SECONDS. */
  exp: number
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: Omit<AccessClaims, 'exp'>
    user: AccessClaims
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The claims of the request's bearer token, verified (once per request: the rate limiter may have asked first). */
    authenticate (request: FastifyRequest): AccessClaims
    /** The caller as the master has them now: they exist, the token is as new as their last password or role change. */
    currentUser (request: FastifyRequest): Promise<User>
    /** A guard for routes that grant power: the caller's current role must be one of `roles`. */
    requireUser (...roles: UserRole[]): preValidationAsyncHookHandler
  }
  interface FastifyRequest {
    /** Set by `requireUser`: the caller's current record. */
    caller: User
  }
}

/** Tokens whose claims are kept (about 1 KB each): as many clients as one instance serves in a token's life. */
const VERIFIED_TOKENS_KEPT = 10_000

/** The token of an `Authorization: Bearer <token>` header (the scheme in any case), as @fastify/jwt reads it. */
function bearerToken (header: string | undefined): string | undefined {
  if (header === undefined || !/^Bearer\s/i.test(header)) return undefined
  const parts = header.split(' ')
  return parts.length === 2 && parts[1] !== '' ? parts[1] : undefined
}

/** Whether the token's signature is base64url as an encoder writes it: decoding and encoding again give it back. */
function canonicalSignature (token: string): boolean {
  const signature = token.slice(token.lastIndexOf('.') + 1)
  return Buffer.from(signature, 'base64url').toString('base64url') === signature
}

export default fp(async function auth (app) {
  const { users } = app.runtime.master
  await app.register(jwt, {
    secret: app.config.jwtSecret,
    sign: { algorithm: 'HS256', expiresIn: app.config.accessTokenTtlSeconds },
    // Only HS256: a token signed with `none` or any other algorithm is refused outright; so is one that never expires.
    verify: { algorithms: ['HS256'], requiredClaims: ['exp', 'sub', 'role', 'ver'] },
  })
  // A client sends the same token with every request until it expires, so the claims of the tokens seen lately are
  // kept, each until its token expires, keyed by the token itself: decoding one and checking its HMAC costs about
  // 20 µs, a request's share of the whole server's time being a few hundred. (fast-jwt's own cache keys by a SHA-256
  // of the token, which costs half as much as the check it saves.) The claims are frozen: requests share them.
  const verified = new LRUCache<string, AccessClaims>({ max: VERIFIED_TOKENS_KEPT })
  app.decorateRequest('caller', null as unknown as User)

  app.decorate('authenticate', (request: FastifyRequest) => {
    if (request.user !== null && request.user !== undefined) return request.user
    const token = bearerToken(request.headers.authorization)
    if (token === undefined) throw new UnauthorizedError()
    let claims = verified.get(token)
    // The cache's ttl runs on the monotonic clock, `exp` on the wall clock: a step of the wall clock (NTP, a VM resumed)
    // must end a kept token exactly when it ends one decoded afresh.
    if (claims !== undefined && claims.exp * 1000 <= Date.now()) claims = undefined
    if (claims === undefined) {
      // fast-jwt decodes the signature leniently: the unused low bits of its last character are ignored, so four strings
      // verify as one token. Only the one the server signed is accepted (and kept).
      if (!canonicalSignature(token)) throw new UnauthorizedError()
      try {
        claims = Object.freeze(app.jwt.verify<AccessClaims>(token))
      } catch {
        throw new UnauthorizedError()
      }
      const validForMs = claims.exp * 1000 - Date.now()
      if (validForMs > 0) verified.set(token, claims, { ttl: validForMs })
    }
    request.user = claims
    return claims
  })

  app.decorate('currentUser', async (request: FastifyRequest) => {
    const claims = app.authenticate(request)
    if ((claims.tid === undefined) !== (claims.tenant_id === undefined) || typeof claims.ver !== 'number') throw new UnauthorizedError()
    const user = await users.findInScope(claims.tenant_id ?? null, claims.sub)
    if (user === undefined || user.tokenVersion !== claims.ver) throw new UnauthorizedError()
    return user
  })

  app.decorate('requireUser', (...roles: UserRole[]): preValidationAsyncHookHandler => {
    return async function currentRoleGuard (request) {
      const claims = app.authenticate(request)
      // The token's role first: a member's token is refused without asking the master.
      if (!roles.includes(claims.role)) throw new ForbiddenError('Your role does not allow this')
      const user = await app.currentUser(request)
      if (!roles.includes(user.role)) throw new ForbiddenError('Your role does not allow this')
      request.caller = user
    }
  })
}, { name: 'auth' })
