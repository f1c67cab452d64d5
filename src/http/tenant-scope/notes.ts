// /api/v1/notes: a tenant's notes, in its own database; a note's category must be one of the tenant's own.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { BadRequestError, NotFoundError } from '../../errors.ts'
import { pageOf } from '../../pagination.ts'
import { FOREIGN_KEY_VIOLATION, sqlState } from '../../postgres-errors.ts'
import type { TenantRepositories } from '../../tenant-database/repositories.ts'
import { sendExact } from '../exact-json.ts'
import { bearer, IdParams, List, parseCursor, problems, TENANT_ERRORS } from '../schemas/common.ts'
import { CreateNote, NoteResponse, noteResponse, NotesQuery, rowKeyset, UpdateNote } from '../schemas/notes.ts'

/** A category id from a client must name one of this tenant's categories. */
async function assertCategory (data: TenantRepositories, categoryId: string | null | undefined): Promise<void> {
  if (categoryId === undefined || categoryId === null) return
  if ((await data.categories.find(categoryId)) === undefined) throw new BadRequestError('category_id does not name one of your categories')
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

const NoteList = List(NoteResponse)

const noteRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['notes']

  app.get('/', {
    schema: { tags, security: bearer, summary: 'List notes, newest first; a page ends at `limit` notes or 1 MiB of their text', querystring: NotesQuery, response: { 200: NoteList, ...problems(400, ...TENANT_ERRORS) } },
  }, async (request, reply) => {
    const { limit, cursor, category_id: categoryId } = request.query
    const { rows, more } = await request.tenantData.notes.list(limit, { after: parseCursor(cursor), categoryId })
    const { data, nextCursor } = pageOf(rows, more, rowKeyset)
    return sendExact(reply, NoteList, { data: data.map(noteResponse), next_cursor: nextCursor })
  })

  app.post('/', {
    schema: { tags, security: bearer, summary: 'Create a note', body: CreateNote, response: { 201: NoteResponse, ...problems(400, 413, 415, ...TENANT_ERRORS) } },
  }, async (request, reply) => {
    const { title, content, category_id: categoryId } = request.body
    await assertCategory(request.tenantData, categoryId)
    const note = await writing(() => request.tenantData.notes.create({ title, content, categoryId }))
    return reply.code(201).send(noteResponse(note))
  })

  app.get('/:id', {
    schema: { tags, security: bearer, summary: 'A note', params: IdParams, response: { 200: NoteResponse, ...problems(400, ...TENANT_ERRORS) } },
  }, async (request) => {
    const note = await request.tenantData.notes.find(request.params.id)
    if (note === undefined) throw new NotFoundError('Note')
    return noteResponse(note)
  })

  app.patch('/:id', {
    schema: { tags, security: bearer, summary: 'Change a note', params: IdParams, body: UpdateNote, response: { 200: NoteResponse, ...problems(400, 413, 415, ...TENANT_ERRORS) } },
  }, async (request) => {
    const { title, content, category_id: categoryId } = request.body
    await assertCategory(request.tenantData, categoryId)
    const note = await writing(() => request.tenantData.notes.update(request.params.id, { title, content, categoryId }))
    if (note === undefined) throw new NotFoundError('Note')
    return noteResponse(note)
  })

  app.delete('/:id', {
    schema: { tags, security: bearer, summary: 'Delete a note', params: IdParams, response: { 204: Type.Null(), ...problems(400, ...TENANT_ERRORS) } },
  }, async (request, reply) => {
    if (!(await request.tenantData.notes.remove(request.params.id))) throw new NotFoundError('Note')
    return reply.code(204).send(null)
  })
}

export default noteRoutes
