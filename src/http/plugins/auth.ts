// JWT access tokens (HS256 only) and the declarative role guard routes use: `preValidation: app.requireRole('owner', 'admin')`.
import fp from 'fastify-plugin'
import jwt from '@fastify/jwt'
import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify'
import { ForbiddenError, UnauthorizedError } from '../../errors.ts'
import type { UserRole } from '../../master/schema.ts'

export interface AccessClaims {
  sub: string
  /** The tenant slug; absent for a platform admin. */
  tid?: string
  role: UserRole
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
    requireRole (...roles: UserRole[]): preValidationAsyncHookHandler
  }
}

export default fp(async function auth (app) {
  await app.register(jwt, {
    secret: app.config.jwtSecret,
    sign: { algorithm: 'HS256', expiresIn: app.config.accessTokenTtlSeconds },
    // Only HS256: a token signed with `none` or any other algorithm is refused outright.
    verify: { algorithms: ['HS256'] },
  })

  app.decorate('authenticate', async (request: FastifyRequest) => {
    if (request.user !== null && request.user !== undefined) return request.user
    try {
      return await request.jwtVerify()
    } catch {
      throw new UnauthorizedError()
    }
  })

  app.decorate('requireRole', (...roles: UserRole[]): preValidationAsyncHookHandler => {
    return async function roleGuard (request) {
      const claims = await app.authenticate(request)
      if (!roles.includes(claims.role)) throw new ForbiddenError('Your role does not allow this')
    }
  })
}, { name: 'auth' })
