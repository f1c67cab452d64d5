// How notes and categories are shown, and what a client may send for them.
import { Type } from 'typebox'
import type { CategoryRow, NoteRow } from '../../tenant-database/schema.ts'
import { isoMicros, isoMillis } from '../../timestamps.ts'
import { ListQuery, OrNull, Timestamp, Uuid } from './common.ts'

const MAX_CONTENT = 100_000

export const NoteResponse = Type.Object({
  id: Uuid,
  title: Type.String(),
  content: OrNull(Type.String()),
  category_id: OrNull(Uuid),
  created_at: Timestamp,
  updated_at: Timestamp,
})

/** Rows come as PostgreSQL sends them (see rowsOf); their timestamps become ISO 8601 with milliseconds, as a Date writes them. */
export function noteResponse (note: NoteRow) {
  return {
    id: note.id,
    title: note.title,
    content: note.content,
    category_id: note.category_id,
    created_at: isoMillis(note.created_at),
    updated_at: isoMillis(note.updated_at),
  }
}

/** A row's keyset position (`Keyset.at`): its created_at with the microseconds a cursor keeps. */
export function rowKeyset (row: NoteRow | CategoryRow): string {
  return isoMicros(row.created_at)
}

// Null first: with type coercion on, ajv would otherwise turn a null into "" through the string branch.
const NoteFields = {
  title: Type.String({ minLength: 1, maxLength: 500 }),
  content: Type.Union([Type.Null(), Type.String({ maxLength: MAX_CONTENT })]),
  category_id: Type.Union([Type.Null(), Uuid]),
}
export const CreateNote = Type.Object({
  title: NoteFields.title,
  content: Type.Optional(NoteFields.content),
  category_id: Type.Optional(NoteFields.category_id),
})
export const UpdateNote = Type.Object({
  title: Type.Optional(NoteFields.title),
  content: Type.Optional(NoteFields.content),
  category_id: Type.Optional(NoteFields.category_id),
}, { minProperties: 1 })
export const NotesQuery = Type.Object({ ...ListQuery.properties, category_id: Type.Optional(Uuid) })

export const CategoryResponse = Type.Object({ id: Uuid, name: Type.String(), created_at: Timestamp, updated_at: Timestamp })
export const CategoryWithNotes = Type.Object({ ...CategoryResponse.properties, notes: Type.Array(NoteResponse) })
export const CategoryBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) })

export function categoryResponse (category: CategoryRow) {
  return { id: category.id, name: category.name, created_at: isoMillis(category.created_at), updated_at: isoMillis(category.updated_at) }
}
