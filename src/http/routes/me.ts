// /api/v1/users/me: the caller, platform admin or tenant user. Nobody changes their own role here, and a new password
// needs the current one and ends every session of the user, this one included.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { checkPasswordPolicy, hashPassword, verifyPassword } from '../../auth/passwords.ts'
import { ForbiddenError, UnauthorizedError } from '../../errors.ts'
import type { User } from '../../master/schema.ts'
import { bearer, problems } from '../schemas/common.ts'
import { DisplayName, Password, UserResponse, userResponse } from '../schemas/users.ts'

const meRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { users } = app.runtime.master
  const { directory } = app.runtime

  /** The caller as the master has them now; a tenant user's tenant must still be serving, and be the same tenant. */
  async function caller (request: FastifyRequest): Promise<User> {
    const claims = app.authenticate(request)
    if (claims.tid !== undefined) {
      const named = request.headers['x-tenant']
      if (named !== undefined && named !== claims.tid) throw new ForbiddenError('X-Tenant does not match the tenant of the token')
      const tenant = await directory.serving(claims.tid)
      if (tenant.id !== claims.tenant_id) throw new UnauthorizedError()
    }
    return app.currentUser(request)
  }

  app.get('/me', {
    schema: { tags: ['users'], security: bearer, summary: 'The caller', response: { 200: UserResponse, ...problems(401, 403, 404, 429) } },
  }, async (request) => userResponse(await caller(request), request.user.tid ?? null))

  app.patch('/me', {
    schema: {
      tags: ['users'],
      security: bearer,
      summary: 'Change your name, or your password (with the current one; every session ends)',
      body: Type.Object({
        name: Type.Optional(DisplayName),
        password: Type.Optional(Password),
        current_password: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
      }, { additionalProperties: false, minProperties: 1, dependencies: { password: ['current_password'] } }),
      response: { 200: UserResponse, ...problems(400, 401, 403, 404, 413, 415, 429) },
    },
  }, async (request) => {
    const user = await caller(request)
    const { name, password, current_password: current } = request.body
    let passwordHash: string | undefined
    if (password !== undefined) {
      if (!(await verifyPassword(user.passwordHash, current as string))) throw new ForbiddenError('The current password is not correct')
      checkPasswordPolicy(password, [user.email, name ?? user.name])
      passwordHash = await hashPassword(password)
    }
    const updated = await users.update(user.tenantId, user.id, { name, passwordHash }, (target) => {
      // Changed meanwhile (another session changed the password): this token is stale now.
      if (target.tokenVersion !== user.tokenVersion) throw new UnauthorizedError()
    })
    if (updated === undefined) throw new UnauthorizedError()
    return userResponse(updated, request.user.tid ?? null)
  })
}

export default meRoutes
