// /api/v1/categories: a tenant's categories, in its own database.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { NotFoundError } from '../../errors.ts'
import { page } from '../../pagination.ts'
import { sendExact } from '../exact-json.ts'
import { bearer, IdParams, List, ListQuery, parseCursor, problems, TENANT_ERRORS } from '../schemas/common.ts'
import { CategoryBody, CategoryResponse, categoryResponse, CategoryWithNotes, noteResponse, rowKeyset } from '../schemas/notes.ts'

const NOTES_IN_CATEGORY = 100

const categoryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['categories']

  app.get('/', {
    schema: { tags, security: bearer, summary: 'List categories, newest first', querystring: ListQuery, response: { 200: List(CategoryResponse), ...problems(400, ...TENANT_ERRORS) } },
  }, async (request) => {
    const { limit, cursor } = request.query
    const { data, nextCursor } = page(await request.tenantData.categories.list(limit + 1, parseCursor(cursor)), limit, rowKeyset)
    return { data: data.map(categoryResponse), next_cursor: nextCursor }
  })

  app.post('/', {
    schema: { tags, security: bearer, summary: 'Create a category', body: CategoryBody, response: { 201: CategoryResponse, ...problems(400, 413, 415, ...TENANT_ERRORS) } },
  }, async (request, reply) => {
    const category = await request.tenantData.categories.create(request.body.name)
    return reply.code(201).send(categoryResponse(category))
  })

  app.get('/:id', {
    schema: { tags, security: bearer, summary: `A category with its ${NOTES_IN_CATEGORY} newest notes, up to 1 MiB of their text`, params: IdParams, response: { 200: CategoryWithNotes, ...problems(400, ...TENANT_ERRORS) } },
  }, async (request, reply) => {
    const { categories, notes } = request.tenantData
    const category = await categories.find(request.params.id)
    if (category === undefined) throw new NotFoundError('Category')
    const newest = await notes.list(NOTES_IN_CATEGORY, { categoryId: category.id })
    return sendExact(reply, CategoryWithNotes, { ...categoryResponse(category), notes: newest.rows.map(noteResponse) })
  })

  app.patch('/:id', {
    schema: { tags, security: bearer, summary: 'Rename a category', params: IdParams, body: CategoryBody, response: { 200: CategoryResponse, ...problems(400, 413, 415, ...TENANT_ERRORS) } },
  }, async (request) => {
    const category = await request.tenantData.categories.rename(request.params.id, request.body.name)
    if (category === undefined) throw new NotFoundError('Category')
    return categoryResponse(category)
  })

  app.delete('/:id', {
    schema: { tags, security: bearer, summary: 'Delete a category and its notes', params: IdParams, response: { 204: Type.Null(), ...problems(400, ...TENANT_ERRORS) } },
  }, async (request, reply) => {
    if (!(await request.tenantData.categories.remove(request.params.id))) throw new NotFoundError('Category')
    return reply.code(204).send(null)
  })
}

export default categoryRoutes
