// Login, refresh and logout. Every failed login looks and costs the same, whatever was wrong.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { burnPasswordCheck, verifyPassword } from '../../auth/passwords.ts'
import { issueTokens, tokenPair } from '../../auth/tokens.ts'
import { InvalidCredentialsError, InvalidRefreshTokenError, LoginRateLimitedError, TenantSuspendedError } from '../../errors.ts'
import { clientAddress } from '../client-address.ts'
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

/** An address that logged in to an account is remembered this long: the account-wide limit does not apply to it. */
const KNOWN_ADDRESS_MS = 30 * 24 * 3600 * 1000
/** Failed logins to one account from all addresses together, as a multiple of LOGIN_RATE_LIMIT_MAX. */
const ACCOUNT_FACTOR = 10

const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { users, refreshTokens } = app.runtime.master
  const { max, windowMs } = app.config.loginRateLimit

  // Failed logins are counted per client address, per account from that address, and per account from everywhere
  // (ten times as many, to slow a guesser with many addresses). The last never applies to an address the account has
  // logged in from before, so no stranger can lock an owner out of where they work. A success costs nothing.
  const account = (request: FastifyRequest) => {
    const body = request.body as { email: string, tenant?: string }
    return `${body.tenant ?? request.headers['x-tenant'] ?? ''}:${body.email.toLowerCase()}`
  }
  const limiter = (name: string, limit: number, key: (request: FastifyRequest) => string, timeWindow = windowMs) =>
    app.createRateLimit({ max: limit, timeWindow, keyGenerator: (request: FastifyRequest) => `login:${name}:${key(request)}` })
  const perAddress = limiter('address', max, (request) => clientAddress(request.ip))
  const perAccountAndAddress = limiter('account-address', max, (request) => `${account(request)}:${clientAddress(request.ip)}`)
  const perAccount = limiter('account', max * ACCOUNT_FACTOR, account)
  const known = limiter('known', 1, (request) => `${account(request)}:${clientAddress(request.ip)}`, KNOWN_ADDRESS_MS)

  async function assertMayTry (request: FastifyRequest, reply: { header: (name: string, value: number) => unknown }): Promise<void> {
    const limiters = [perAddress, perAccountAndAddress]
    const seen = await known(request, { increment: false })
    if (!('remaining' in seen) || seen.remaining !== 0) limiters.push(perAccount)
    for (const limit of limiters) {
      const state = await limit(request, { increment: false })
      if (!state.isAllowed && state.remaining === 0 && state.ttl > 0) {
        reply.header('retry-after', state.ttlInSeconds)
        throw new LoginRateLimitedError()
      }
    }
  }

  app.post('/login', {
    schema: {
      tags: ['auth'],
      summary: 'Log in; a tenant user names the tenant in the body or the X-Tenant header, a platform admin names none',
      body: LoginBody,
      headers: Type.Object({ 'x-tenant': Type.Optional(Type.String({ maxLength: 64 })) }),
      response: { 200: TokenPair, ...problems(400, 401, 403, 429) },
    },
  }, async (request, reply) => {
    await assertMayTry(request, reply)
    const slug = request.body.tenant ?? request.headers['x-tenant']
    // One query of one shape, found or not: the time a failure takes does not tell whether the tenant exists.
    const found = await users.findForLogin(slug, request.body.email)
    // An unknown tenant or email still pays for one argon2 verification.
    const valid = found === undefined
      ? (await burnPasswordCheck(request.body.password), false)
      : await verifyPassword(found.user.passwordHash, request.body.password)
    if (found === undefined || !valid) {
      await Promise.all([perAddress, perAccountAndAddress, perAccount].map((limit) => limit(request)))
      throw new InvalidCredentialsError()
    }
    // Only a caller who proved the credentials learns that the tenant is suspended.
    if (found.tenant?.status === 'suspended') throw new TenantSuspendedError()
    await known(request)
    const { user, tenant } = found
    return issueTokens(app, refreshTokens, { ...user, tenant: tenant === null ? null : { id: tenant.id, slug: tenant.slug } })
  })

  app.post('/refresh', {
    schema: {
      tags: ['auth'],
      summary: 'Exchange a refresh token for a new pair; the old one stops working, and reusing it revokes the whole family',
      body: RefreshBody,
      response: { 200: TokenPair, ...problems(400, 401) },
    },
  }, async (request) => {
    const rotation = await refreshTokens.rotate(request.body.refresh_token)
    if (rotation.outcome !== 'rotated') {
      if (rotation.outcome === 'reused') request.log.warn('a spent refresh token was presented; its family is revoked')
      throw new InvalidRefreshTokenError()
    }
    return tokenPair(app, rotation.user, rotation.token)
  })

  app.post('/logout', {
    schema: { tags: ['auth'], summary: 'Revoke a refresh token (and its family)', body: RefreshBody, response: { 204: Type.Null(), ...problems(400) } },
  }, async (request, reply) => {
    await refreshTokens.revokeFamilyOf(request.body.refresh_token)
    return reply.code(204).send(null)
  })
}

export default authRoutes
