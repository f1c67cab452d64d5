// How notes and categories are shown, and what a client may send for them.
import { Type } from 'typebox'
import type { Category, Note } from '../../tenant-database/schema.ts'
import { ListQuery, Timestamp, Uuid } from './common.ts'

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
export const CreateNote = Type.Object({ title: NoteFields.title, content: Type.Optional(NoteFields.content), category_id: Type.Optional(NoteFields.category_id) })
export const UpdateNote = Type.Object({ title: Type.Optional(NoteFields.title), content: Type.Optional(NoteFields.content), category_id: Type.Optional(NoteFields.category_id) }, { minProperties: 1 })
export const NotesQuery = Type.Object({ ...ListQuery.properties, category_id: Type.Optional(Uuid) })

export const CategoryResponse = Type.Object({ id: Uuid, name: Type.String(), created_at: Timestamp, updated_at: Timestamp })
export const CategoryWithNotes = Type.Object({ ...CategoryResponse.properties, notes: Type.Array(NoteResponse) })
export const CategoryBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) })

export function categoryResponse (category: Category) {
  return { id: category.id, name: category.name, created_at: category.createdAt.toISOString(), updated_at: category.updatedAt.toISOString() }
}
