// JWT access tokens (HS256 only, `exp` required) and the guards routes use: `requireUser(...roles)` re-reads the caller
// from the master database, for routes that grant power; `authenticate` alone trusts the token until it expires.
import fp from 'fastify-plugin'
import jwt from '@fastify/jwt'
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
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AccessClaims
    user: AccessClaims
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Verifies the bearer token once per request (the rate limiter may already have done it). */
    authenticate (request: FastifyRequest): Promise<AccessClaims>
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

export default fp(async function auth (app) {
  const { users } = app.runtime.master
  await app.register(jwt, {
    secret: app.config.jwtSecret,
    sign: { algorithm: 'HS256', expiresIn: app.config.accessTokenTtlSeconds },
    // Only HS256: a token signed with `none` or any other algorithm is refused outright; so is one that never expires.
    verify: { algorithms: ['HS256'], requiredClaims: ['exp', 'sub', 'role', 'ver'] },
  })
  app.decorateRequest('caller', null as unknown as User)

  app.decorate('authenticate', async (request: FastifyRequest) => {
    if (request.user !== null && request.user !== undefined) return request.user
    try {
      return await request.jwtVerify()
    } catch {
      throw new UnauthorizedError()
    }
  })

  app.decorate('currentUser', async (request: FastifyRequest) => {
    const claims = await app.authenticate(request)
    if ((claims.tid === undefined) !== (claims.tenant_id === undefined) || typeof claims.ver !== 'number') throw new UnauthorizedError()
    const user = await users.findInScope(claims.tenant_id ?? null, claims.sub)
    if (user === undefined || user.tokenVersion !== claims.ver) throw new UnauthorizedError()
    return user
  })

  app.decorate('requireUser', (...roles: UserRole[]): preValidationAsyncHookHandler => {
    return async function currentRoleGuard (request) {
      const claims = await app.authenticate(request)
      // The token's role first: a member's token is refused without asking the master.
      if (!roles.includes(claims.role)) throw new ForbiddenError('Your role does not allow this')
      const user = await app.currentUser(request)
      if (!roles.includes(user.role)) throw new ForbiddenError('Your role does not allow this')
      request.caller = user
    }
  })
}, { name: 'auth' })
