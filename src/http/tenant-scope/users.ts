// /api/v1/users: owners and admins manage the users of their own tenant. Another tenant's user id is a 404. The caller's
// power is read from the master on every request (a demoted or deleted admin's token no longer grants it), and every
// check on the target runs inside the transaction that changes it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { checkPasswordPolicy, hashPassword } from '../../auth/passwords.ts'
import { ConflictError, ForbiddenError, NotFoundError } from '../../errors.ts'
import type { User, UserRole } from '../../master/schema.ts'
import { page } from '../../pagination.ts'
import { bearer, IdParams, List, ListQuery, parseCursor, problems } from '../schemas/common.ts'
import { DisplayName, Email, Password, UserResponse, userResponse } from '../schemas/users.ts'

const TenantRole = Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')])
const RANK: Record<UserRole, number> = { member: 1, admin: 2, owner: 3, platform_admin: 4 }
const ERRORS = [401, 403, 404, 429]

/** An admin manages members and admins; only an owner may touch owners or make one. */
function assertMayManage (caller: User, target: UserRole): void {
  if (RANK[target] > RANK[caller.role]) throw new ForbiddenError('Your role does not allow managing this user or role')
}

const tenantUserRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { users } = app.runtime.master
  const tags = ['users']
  const preValidation = app.requireUser('owner', 'admin')

  app.get('/', {
    preValidation,
    schema: { tags, security: bearer, summary: 'Users of your tenant', querystring: ListQuery, response: { 200: List(UserResponse), ...problems(400, ...ERRORS) } },
  }, async (request) => {
    const { limit, cursor } = request.query
    const { data, nextCursor } = page(await users.list(request.tenant.id, limit + 1, parseCursor(cursor)), limit, (user) => user.keysetAt)
    return { data: data.map((user) => userResponse(user, request.tenant.slug)), next_cursor: nextCursor }
  })

  app.post('/', {
    preValidation,
    schema: {
      tags,
      security: bearer,
      summary: 'Add a user to your tenant',
      body: Type.Object({ email: Email, password: Password, name: Type.Optional(DisplayName), role: Type.Optional(TenantRole) }),
      response: { 201: UserResponse, ...problems(400, 409, 413, 415, ...ERRORS) },
    },
  }, async (request, reply) => {
    const { email, password, name, role = 'member' } = request.body
    assertMayManage(request.caller, role)
    checkPasswordPolicy(password, [email, name])
    const user = await users.create({
      tenantId: request.tenant.id,
      email,
      name: name ?? null,
      passwordHash: await hashPassword(password),
      role,
    })
    if (user === undefined) throw new ConflictError('A user with this email already exists in your tenant')
    return reply.code(201).send(userResponse(user, request.tenant.slug))
  })

  app.get('/:id', {
    preValidation,
    schema: { tags, security: bearer, summary: 'A user of your tenant', params: IdParams, response: { 200: UserResponse, ...problems(400, ...ERRORS) } },
  }, async (request) => {
    const user = await users.findInScope(request.tenant.id, request.params.id)
    if (user === undefined) throw new NotFoundError('User')
    return userResponse(user, request.tenant.slug)
  })

  app.patch('/:id', {
    preValidation,
    schema: {
      tags,
      security: bearer,
      summary: 'Change a user of your tenant; a new password or role ends their sessions',
      params: IdParams,
      body: Type.Object({
        name: Type.Optional(DisplayName),
        password: Type.Optional(Password),
        role: Type.Optional(TenantRole),
      }, { minProperties: 1 }),
      response: { 200: UserResponse, ...problems(400, 409, 413, 415, ...ERRORS) },
    },
  }, async (request) => {
    const { caller, tenant } = request
    const { name, password, role } = request.body
    if (role !== undefined) assertMayManage(caller, role)
    if (password !== undefined) checkPasswordPolicy(password, [name])
    const passwordHash = password === undefined ? undefined : await hashPassword(password)
    const updated = await users.update(tenant.id, request.params.id, { name, role, passwordHash }, (target) => {
      assertMayManage(caller, target.role)
      if (target.id === caller.id && role !== undefined && role !== target.role) throw new ForbiddenError('You cannot change your own role')
      if (password !== undefined) checkPasswordPolicy(password, [target.email, name ?? target.name])
    })
    if (updated === undefined) throw new NotFoundError('User')
    return userResponse(updated, tenant.slug)
  })

  app.delete('/:id', {
    preValidation,
    schema: { tags, security: bearer, summary: 'Remove a user from your tenant (their refresh tokens go with them)', params: IdParams, response: { 204: Type.Null(), ...problems(400, 409, ...ERRORS) } },
  }, async (request, reply) => {
    const removed = await users.remove(request.tenant.id, request.params.id, (target) => { assertMayManage(request.caller, target.role) })
    if (!removed) throw new NotFoundError('User')
    return reply.code(204).send(null)
  })
}

export default tenantUserRoutes
