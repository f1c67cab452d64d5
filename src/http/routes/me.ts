// /api/v1/users/me: the caller, platform admin or tenant user. Nobody changes their own role here.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { checkPasswordPolicy, hashPassword } from '../../auth/passwords.ts'
import { UnauthorizedError } from '../../errors.ts'
import { bearer, problems } from '../schemas/common.ts'
import { DisplayName, Password, UserResponse, userResponse } from '../schemas/users.ts'

const meRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { users } = app.runtime.master

  /** The caller's scope: null for a platform admin, else their tenant's id (which must still be serving). */
  async function scopeOf (request: FastifyRequest): Promise<string | null> {
    const claims = await app.authenticate(request)
    if (claims.tid === undefined) return null
    return (await app.runtime.directory.serving(claims.tid)).id
  }

  async function caller (request: FastifyRequest) {
    const user = await users.findInScope(await scopeOf(request), request.user.sub)
    // A deleted user's access token may outlive them by a few minutes; it no longer finds them.
    if (user === undefined) throw new UnauthorizedError()
    return user
  }

  app.get('/me', {
    schema: { tags: ['users'], security: bearer, summary: 'The caller', response: { 200: UserResponse, ...problems(401, 403, 404, 429) } },
  }, async (request) => userResponse(await caller(request), request.user.tid ?? null))

  app.patch('/me', {
    schema: {
      tags: ['users'],
      security: bearer,
      summary: 'Change your name or password',
      body: Type.Object({ name: Type.Optional(DisplayName), password: Type.Optional(Password) }, { additionalProperties: false, minProperties: 1 }),
      response: { 200: UserResponse, ...problems(400, 401, 403, 404, 413, 415, 429) },
    },
  }, async (request) => {
    const user = await caller(request)
    const { name, password } = request.body
    if (password !== undefined) checkPasswordPolicy(password, [user.email, name ?? user.name])
    const updated = await users.update(user.tenantId, user.id, { name, ...(password !== undefined && { passwordHash: await hashPassword(password) }) })
    if (updated === undefined) throw new UnauthorizedError()
    return userResponse(updated, request.user.tid ?? null)
  })
}

export default meRoutes
