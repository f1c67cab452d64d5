// /api/v1/categories: a tenant's categories, in its own database.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { NotFoundError } from '../../errors.ts'
import { page } from '../../pagination.ts'
import { createCategoriesRepository } from '../../tenant-database/categories-repository.ts'
import { createNotesRepository } from '../../tenant-database/notes-repository.ts'
import type { Category } from '../../tenant-database/schema.ts'
import { bearer, IdParams, List, ListQuery, parseCursor, problems, Timestamp, Uuid } from '../schemas.ts'
import { NoteResponse, noteResponse } from './notes.ts'

const NOTES_IN_CATEGORY = 100

const CategoryResponse = Type.Object({ id: Uuid, name: Type.String(), created_at: Timestamp, updated_at: Timestamp })
const CategoryWithNotes = Type.Object({ ...CategoryResponse.properties, notes: Type.Array(NoteResponse) })
const CategoryBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) })

function categoryResponse (category: Category) {
  return { id: category.id, name: category.name, created_at: category.createdAt.toISOString(), updated_at: category.updatedAt.toISOString() }
}

const TENANT_ERRORS = [401, 403, 404, 429, 503]

const categoryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['categories']

  app.get('/', {
    schema: { tags, security: bearer, summary: 'List categories, newest first', querystring: ListQuery, response: { 200: List(CategoryResponse), ...problems(400, ...TENANT_ERRORS) } },
  }, async (request) => {
    const { limit, cursor } = request.query
    const rows = await createCategoriesRepository(request.tenantDb).list(limit + 1, parseCursor(cursor))
    const { data, nextCursor } = page(rows, limit)
    return { data: data.map(categoryResponse), next_cursor: nextCursor }
  })

  app.post('/', {
    schema: { tags, security: bearer, summary: 'Create a category', body: CategoryBody, response: { 201: CategoryResponse, ...problems(400, 413, 415, ...TENANT_ERRORS) } },
  }, async (request, reply) => {
    const category = await createCategoriesRepository(request.tenantDb).create(request.body.name)
    return reply.code(201).send(categoryResponse(category))
  })

  app.get('/:id', {
    schema: { tags, security: bearer, summary: `A category with its ${NOTES_IN_CATEGORY} newest notes`, params: IdParams, response: { 200: CategoryWithNotes, ...problems(400, ...TENANT_ERRORS) } },
  }, async (request) => {
    const category = await createCategoriesRepository(request.tenantDb).find(request.params.id)
    if (category === undefined) throw new NotFoundError('Category')
    const notes = await createNotesRepository(request.tenantDb).list(NOTES_IN_CATEGORY, { categoryId: category.id })
    return { ...categoryResponse(category), notes: notes.map(noteResponse) }
  })

  app.patch('/:id', {
    schema: { tags, security: bearer, summary: 'Rename a category', params: IdParams, body: CategoryBody, response: { 200: CategoryResponse, ...problems(400, 413, 415, ...TENANT_ERRORS) } },
  }, async (request) => {
    const category = await createCategoriesRepository(request.tenantDb).rename(request.params.id, request.body.name)
    if (category === undefined) throw new NotFoundError('Category')
    return categoryResponse(category)
  })

  app.delete('/:id', {
    schema: { tags, security: bearer, summary: 'Delete a category and its notes', params: IdParams, response: { 204: Type.Null(), ...problems(400, ...TENANT_ERRORS) } },
  }, async (request, reply) => {
    const removed = await createCategoriesRepository(request.tenantDb).remove(request.params.id)
    if (!removed) throw new NotFoundError('Category')
    return reply.code(204).send(null)
  })
}

export default categoryRoutes
