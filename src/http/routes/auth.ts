// Login, refresh and logout. Every failed login looks and costs the same, whatever was wrong.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { burnPasswordCheck, verifyPassword } from '../../auth/passwords.ts'
import { issueTokens, tokenPair } from '../../auth/tokens.ts'
import { InvalidCredentialsError, InvalidRefreshTokenError, LoginRateLimitedError, TenantSuspendedError } from '../../errors.ts'
import { isServing } from '../../master/tenants-repository.ts'
import { isValidSlug } from '../../tenant-database/identity.ts'
import { problems } from '../schemas/common.ts'

const TokenPair = Type.Object({
  access_token: Type.String(),
  refresh_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
})

const LoginBody = Type.Object({
  email: Type.String({ minLength: 3, maxLength: 254 }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
  tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
})

const RefreshBody = Type.Object({ refresh_token: Type.String({ minLength: 1, maxLength: 200 }) })

const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { users, tenants, refreshTokens } = app.runtime.master
  const { max, windowMs } = app.config.loginRateLimit
  // Failed attempts are counted per client address and per email; a success costs nothing.
  const failedLogins = [
    app.createRateLimit({ max, timeWindow: windowMs, keyGenerator: (request: FastifyRequest) => `login:address:${request.ip}` }),
    app.createRateLimit({ max, timeWindow: windowMs, keyGenerator: (request: FastifyRequest) => `login:email:${(request.body as { email: string }).email.toLowerCase()}` }),
  ]

  app.post('/login', {
    schema: {
      tags: ['auth'],
      summary: 'Log in; a tenant user names the tenant in the body or the X-Tenant header, a platform admin names none',
      body: LoginBody,
      headers: Type.Object({ 'x-tenant': Type.Optional(Type.String({ maxLength: 64 })) }),
      response: { 200: TokenPair, ...problems(400, 401, 403, 429) },
    },
  }, async (request, reply) => {
    for (const limiter of failedLogins) {
      const state = await limiter(request, { increment: false })
      if (!state.isAllowed && state.remaining === 0 && state.ttl > 0) {
        reply.header('retry-after', state.ttlInSeconds)
        throw new LoginRateLimitedError()
      }
    }
    const slug = request.body.tenant ?? request.headers['x-tenant']
    const email = request.body.email.toLowerCase()
    const tenant = slug === undefined ? undefined : isValidSlug(slug) ? await tenants.findBySlug(slug) : undefined
    const scopeKnown = slug === undefined || (tenant !== undefined && isServing(tenant.status))
    const user = scopeKnown ? await users.findByEmail(tenant?.id ?? null, email) : undefined
    // An unknown tenant or email still pays for one argon2 verification: no timing oracle.
    const valid = user === undefined ? (await burnPasswordCheck(request.body.password), false) : await verifyPassword(user.passwordHash, request.body.password)
    if (user === undefined || !valid) {
      await Promise.all(failedLogins.map((limiter) => limiter(request)))
      throw new InvalidCredentialsError()
    }
    // Only a caller who proved the credentials learns that the tenant is suspended.
    if (tenant?.status === 'suspended') throw new TenantSuspendedError()
    return issueTokens(app, refreshTokens, user, tenant?.slug)
  })

  app.post('/refresh', {
    schema: {
      tags: ['auth'],
      summary: 'Exchange a refresh token for a new pair; the old one stops working, and reusing it revokes the whole family',
      body: RefreshBody,
      response: { 200: TokenPair, ...problems(400, 401) },
    },
  }, async (request) => {
    let tenantSlug: string | undefined
    let role: Parameters<typeof tokenPair>[1]['role'] = 'member'
    const rotation = await refreshTokens.rotate(request.body.refresh_token, async (userId) => {
      const user = await users.findById(userId)
      if (user === undefined) return false
      role = user.role
      if (user.tenantId === null) return true
      const tenant = await tenants.findById(user.tenantId)
      tenantSlug = tenant?.slug
      return tenant?.status === 'active'
    })
    if (rotation.outcome !== 'rotated') {
      if (rotation.outcome === 'reused') request.log.warn('a spent refresh token was presented; its family is revoked')
      throw new InvalidRefreshTokenError()
    }
    return tokenPair(app, { id: rotation.userId, role }, tenantSlug, rotation.token)
  })

  app.post('/logout', {
    schema: { tags: ['auth'], summary: 'Revoke a refresh token (and its family)', body: RefreshBody, response: { 204: Type.Null(), ...problems(400) } },
  }, async (request, reply) => {
    await refreshTokens.revokeFamilyOf(request.body.refresh_token)
    return reply.code(204).send(null)
  })
}

export default authRoutes
