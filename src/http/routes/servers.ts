// /api/v1/servers: the platform admin's view of the PostgreSQL servers tenants live on: add, list, drain, remove.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { bearer, problems } from '../schemas/common.ts'
import { AddServer, ChangeServer, ServerParams, ServerResponse } from '../schemas/servers.ts'

const ERRORS = [401, 403, 429]

const serverRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { serverAdmin } = app.runtime
  const tags = ['servers']
  app.addHook('preValidation', app.requireUser('platform_admin'))

  app.get('/', {
    schema: { tags, security: bearer, summary: 'Database servers, with their tenants, budget, connections in use and version', response: { 200: Type.Object({ data: Type.Array(ServerResponse) }), ...problems(...ERRORS) } },
  }, async () => ({ data: await serverAdmin.list() }))

  app.get('/:name', {
    schema: { tags, security: bearer, summary: 'A database server', params: ServerParams, response: { 200: ServerResponse, ...problems(404, ...ERRORS) } },
  }, async (request) => serverAdmin.get(request.params.name))

  app.post('/', {
    schema: {
      tags,
      security: bearer,
      summary: 'Add a server: checked first (reachable; its role may create databases and roles); its URL is stored encrypted and never shown',
      body: AddServer,
      response: { 201: ServerResponse, ...problems(400, 409, 413, 415, ...ERRORS) },
    },
  }, async (request, reply) => {
    const { name, url, max_tenants: maxTenants, connection_budget: connectionBudget } = request.body
    return reply.code(201).send(await serverAdmin.add({ name, url, maxTenants, connectionBudget }))
  })

  app.patch('/:name', {
    schema: {
      tags,
      security: bearer,
      summary: 'Drain a server (no new tenants), reactivate it, or change its limits',
      params: ServerParams,
      body: ChangeServer,
      response: { 200: ServerResponse, ...problems(400, 404, 413, 415, ...ERRORS) },
    },
  }, async (request) => {
    const { status, max_tenants: maxTenants, connection_budget: connectionBudget } = request.body
    return serverAdmin.update(request.params.name, { status, maxTenants, connectionBudget })
  })

  app.delete('/:name', {
    schema: { tags, security: bearer, summary: 'Remove a server that holds no tenant', params: ServerParams, response: { 204: Type.Null(), ...problems(404, 409, ...ERRORS) } },
  }, async (request, reply) => {
    await serverAdmin.remove(request.params.name)
    return reply.code(204).send(null)
  })
}

export default serverRoutes
