// /api/v1/tenants: the platform admin's view of tenants: provision, list, inspect, suspend or reactivate, delete.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { TenantNotFoundError } from '../../errors.ts'
import type { Tenant } from '../../master/schema.ts'
import { isServing } from '../../master/tenants-repository.ts'
import { page } from '../../pagination.ts'
import { deadlineOf } from '../deadline.ts'
import { isValidSlug } from '../../tenant-database/identity.ts'
import { bearer, List, ListQuery, parseCursor, problems } from '../schemas/common.ts'
import { ProvisionFields, SlugParams, TenantName, TenantResponse, tenantResponse } from '../schemas/tenants.ts'
import { UserResponse, userResponse } from '../schemas/users.ts'

const ERRORS = [401, 403, 429]
/** How long creating or deleting a tenant may take, once its turn has come; its statements are bounded too. */
const LIFECYCLE_TIMEOUT_MS = 120_000

const tenantRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { master, lifecycle, servers } = app.runtime
  /** A tenant as shown, with its server's name (servers are few and known to the registry). */
  const show = (tenant: Tenant) =>
    tenantResponse(tenant, servers.all().find((server) => server.id === tenant.serverId)?.name ?? tenant.serverId)
  const tags = ['tenants']
  app.addHook('preValidation', app.requireUser('platform_admin'))

  async function find (slug: string): Promise<Tenant> {
    const tenant = isValidSlug(slug) ? await master.tenants.findBySlug(slug) : undefined
    if (tenant === undefined || !isServing(tenant.status)) throw new TenantNotFoundError()
    return tenant
  }

  app.post('/', {
    // Waiting for a turn ends with REQUEST_TIMEOUT; the work itself (a database made, migrated, seeded) gets longer.
    handlerTimeout: LIFECYCLE_TIMEOUT_MS,
    schema: {
      tags,
      security: bearer,
      summary: 'Provision a tenant on the server named, or the one the placement policy picks: its own database, migrated and seeded, and its owner; 201 once all of it exists',
      body: ProvisionFields,
      response: { 201: Type.Object({ tenant: TenantResponse, owner: UserResponse }), ...problems(400, 404, 409, 413, 415, 503, ...ERRORS) },
    },
  }, async (request, reply) => {
    const { tenant, owner } = await lifecycle.provision(request.body, deadlineOf(reply))
    return reply.code(201).send({ tenant: show(tenant), owner: userResponse(owner, tenant.slug) })
  })

  app.get('/', {
    schema: { tags, security: bearer, summary: 'Tenants, newest first', querystring: ListQuery, response: { 200: List(TenantResponse), ...problems(400, ...ERRORS) } },
  }, async (request) => {
    const { limit, cursor } = request.query
    const { data, nextCursor } = page(await master.tenants.list(limit + 1, parseCursor(cursor)), limit, (tenant) => tenant.keysetAt)
    return { data: data.map(show), next_cursor: nextCursor }
  })

  app.get('/:slug', {
    schema: { tags, security: bearer, summary: 'A tenant', params: SlugParams, response: { 200: TenantResponse, ...problems(404, ...ERRORS) } },
  }, async (request) => show(await find(request.params.slug)))

  app.patch('/:slug', {
    schema: {
      tags,
      security: bearer,
      summary: 'Rename, suspend or reactivate a tenant; suspending closes its pools at once, in every instance',
      params: SlugParams,
      body: Type.Object({ name: Type.Optional(TenantName), status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('suspended')])) }, { minProperties: 1 }),
      response: { 200: TenantResponse, ...problems(400, 404, 409, 413, 415, ...ERRORS) },
    },
  }, async (request, reply) => show(await lifecycle.update(request.params.slug, request.body, deadlineOf(reply))))

  app.delete('/:slug', {
    handlerTimeout: LIFECYCLE_TIMEOUT_MS,
    schema: { tags, security: bearer, summary: 'Delete a tenant: its pool, database, role, users and tokens', params: SlugParams, response: { 204: Type.Null(), ...problems(404, 409, ...ERRORS) } },
  }, async (request, reply) => {
    await lifecycle.remove(request.params.slug, deadlineOf(reply))
    return reply.code(204).send(null)
  })
}

export default tenantRoutes
