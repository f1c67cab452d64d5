// /api/v1/notes: a tenant's notes, in its own database; a note's category must be one of the tenant's own.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { BadRequestError, NotFoundError } from '../../errors.ts'
import { page } from '../../pagination.ts'
import { FOREIGN_KEY_VIOLATION, sqlState } from '../../postgres-errors.ts'
import type { TenantDb } from '../../connections/tenant-connection-manager.ts'
import { createCategoriesRepository } from '../../tenant-database/categories-repository.ts'
import { createNotesRepository, type NoteChanges } from '../../tenant-database/notes-repository.ts'
import type { Note } from '../../tenant-database/schema.ts'
import { bearer, IdParams, List, ListQuery, parseCursor, problems, Timestamp, Uuid } from '../schemas.ts'

const MAX_CONTENT = 100_000

export const NoteResponse = Type.Object({
  id: Uuid,
  title: Type.String(),
  content: Type.Union([Type.String(), Type.Null()]),
  category_id: Type.Union([Uuid, Type.Null()]),
  created_at: Timestamp,
  updated_at: Timestamp,
})

export function noteResponse (note: Note) {
  return {
    id: note.id,
    title: note.title,
    content: note.content,
    category_id: note.categoryId,
    created_at: note.createdAt.toISOString(),
    updated_at: note.updatedAt.toISOString(),
  }
}

// Null first: with type coercion on, ajv would otherwise turn a null into "" through the string branch.
const NoteFields = {
  title: Type.String({ minLength: 1, maxLength: 500 }),
  content: Type.Union([Type.Null(), Type.String({ maxLength: MAX_CONTENT })]),
  category_id: Type.Union([Type.Null(), Uuid]),
}
const CreateNote = Type.Object({ title: NoteFields.title, content: Type.Optional(NoteFields.content), category_id: Type.Optional(NoteFields.category_id) })
const UpdateNote = Type.Object({ title: Type.Optional(NoteFields.title), content: Type.Optional(NoteFields.content), category_id: Type.Optional(NoteFields.category_id) }, { minProperties: 1 })
const NotesQuery = Type.Object({ ...ListQuery.properties, category_id: Type.Optional(Uuid) })

const TENANT_ERRORS = [401, 403, 404, 429, 503]

/** A category id from a client must name one of this tenant's categories. */
async function assertCategory (db: TenantDb, categoryId: string | null | undefined): Promise<void> {
  if (categoryId === undefined || categoryId === null) return
  if ((await createCategoriesRepository(db).find(categoryId)) === undefined) throw new BadRequestError('category_id does not name one of your categories')
}

/** The category may vanish between the check and the write; that is the client's 400 too, never a 500. */
async function writing<T> (write: () => Promise<T>): Promise<T> {
  try {
    return await write()
  } catch (error) {
    if (sqlState(error) === FOREIGN_KEY_VIOLATION) throw new BadRequestError('category_id does not name one of your categories')
    throw error
  }
}

const noteRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['notes']

  app.get('/', {
    schema: { tags, security: bearer, summary: 'List notes, newest first', querystring: NotesQuery, response: { 200: List(NoteResponse), ...problems(400, ...TENANT_ERRORS) } },
  }, async (request) => {
    const { limit, cursor, category_id: categoryId } = request.query
    const rows = await createNotesRepository(request.tenantDb).list(limit + 1, { after: parseCursor(cursor), categoryId })
    const { data, nextCursor } = page(rows, limit)
    return { data: data.map(noteResponse), next_cursor: nextCursor }
  })

  app.post('/', {
    schema: { tags, security: bearer, summary: 'Create a note', body: CreateNote, response: { 201: NoteResponse, ...problems(400, 413, 415, ...TENANT_ERRORS) } },
  }, async (request, reply) => {
    const { title, content, category_id: categoryId } = request.body
    await assertCategory(request.tenantDb, categoryId)
    const note = await writing(() => createNotesRepository(request.tenantDb).create({ title, content, categoryId }))
    return reply.code(201).send(noteResponse(note))
  })

  app.get('/:id', {
    schema: { tags, security: bearer, summary: 'A note', params: IdParams, response: { 200: NoteResponse, ...problems(400, ...TENANT_ERRORS) } },
  }, async (request) => {
    const note = await createNotesRepository(request.tenantDb).find(request.params.id)
    if (note === undefined) throw new NotFoundError('Note')
    return noteResponse(note)
  })

  app.patch('/:id', {
    schema: { tags, security: bearer, summary: 'Change a note', params: IdParams, body: UpdateNote, response: { 200: NoteResponse, ...problems(400, 413, 415, ...TENANT_ERRORS) } },
  }, async (request) => {
    const { title, content, category_id: categoryId } = request.body
    await assertCategory(request.tenantDb, categoryId)
    const changes: NoteChanges = { title, content, categoryId }
    const note = await writing(() => createNotesRepository(request.tenantDb).update(request.params.id, changes))
    if (note === undefined) throw new NotFoundError('Note')
    return noteResponse(note)
  })

  app.delete('/:id', {
    schema: { tags, security: bearer, summary: 'Delete a note', params: IdParams, response: { 204: Type.Null(), ...problems(400, ...TENANT_ERRORS) } },
  }, async (request, reply) => {
    if (!(await createNotesRepository(request.tenantDb).remove(request.params.id))) throw new NotFoundError('Note')
    return reply.code(204).send(null)
  })
}

export default noteRoutes
