// Notes in a tenant's own database, newest first, optionally by category. The repository is built once per pool
// (repositories.ts), and each of its queries is prepared there once, on first use (src/prepared-queries.ts).
import { and, desc, eq, sql } from 'drizzle-orm'
import type { TenantDb } from './repositories.ts'
import { keyset, type Keyset } from '../pagination.ts'
import { rowsOf } from '../prepared-queries.ts'
import { notes, type NoteRow } from './schema.ts'

export interface NoteChanges {
  title?: string
  content?: string | null
  categoryId?: string | null
}

const CHANGEABLE = ['title', 'content', 'categoryId'] as const

export function createNotesRepository (db: TenantDb) {
  const listing = (name: string, byCategory: boolean, after: boolean) => rowsOf<NoteRow>(() => db.select().from(notes)
    .where(and(
      byCategory ? eq(notes.categoryId, sql.placeholder('categoryId')) : undefined,
      after ? keyset.after(notes.createdAt, notes.id) : undefined,
    ))
    .orderBy(desc(notes.createdAt), desc(notes.id))
    .limit(sql.placeholder('limit'))
    .prepare(name))
  const list = listing('notes_list', false, false)
  const listAfter = listing('notes_list_after', false, true)
  const listInCategory = listing('notes_list_in_category', true, false)
  const listInCategoryAfter = listing('notes_list_in_category_after', true, true)
  const find = rowsOf<NoteRow>(() => db.select().from(notes).where(eq(notes.id, sql.placeholder('id'))).prepare('notes_find'))
  const create = rowsOf<NoteRow>(() => db.insert(notes)
    .values({ title: sql.placeholder('title'), content: sql.placeholder('content'), categoryId: sql.placeholder('categoryId') })
    .returning().prepare('notes_create'))
  const remove = rowsOf<{ id: string }>(() => db.delete(notes).where(eq(notes.id, sql.placeholder('id'))).returning({ id: notes.id }).prepare('notes_remove'))
  // One prepared update per set of changed fields, made when first asked for (at most 2^3 - 1 of them).
  const updates = new Map<string, ReturnType<typeof rowsOf<NoteRow>>>()
  function prepareUpdate (fields: ReadonlyArray<typeof CHANGEABLE[number]>) {
    // drizzle's types take no placeholder as an update value; inside sql`` it is one.
    const set = Object.fromEntries(fields.map((field) => [field, sql`${sql.placeholder(field)}`]))
    return rowsOf<NoteRow>(() => db.update(notes).set({ ...set, updatedAt: sql`now()` })
      .where(eq(notes.id, sql.placeholder('id'))).returning().prepare(`notes_update_${fields.join('_')}`))
  }

  return {
    async list (limit: number, options: { after?: Keyset, categoryId?: string } = {}): Promise<NoteRow[]> {
      const { after, categoryId } = options
      if (categoryId === undefined) {
        return after === undefined ? list({ limit }) : listAfter({ limit, afterAt: after.at, afterId: after.id })
      }
      return after === undefined
        ? listInCategory({ limit, categoryId })
        : listInCategoryAfter({ limit, categoryId, afterAt: after.at, afterId: after.id })
    },
    async find (id: string): Promise<NoteRow | undefined> {
      const [row] = await find({ id })
      return row
    },
    async create (values: { title: string, content?: string | null, categoryId?: string | null }): Promise<NoteRow> {
      const [row] = await create({ title: values.title, content: values.content ?? null, categoryId: values.categoryId ?? null })
      return row as NoteRow
    },
    async update (id: string, changes: NoteChanges): Promise<NoteRow | undefined> {
      const fields = CHANGEABLE.filter((field) => changes[field] !== undefined)
      const key = fields.join()
      let update = updates.get(key)
      if (update === undefined) updates.set(key, update = prepareUpdate(fields))
      const [row] = await update({ id, ...Object.fromEntries(fields.map((field) => [field, changes[field]])) })
      return row
    },
    async remove (id: string): Promise<boolean> {
      const rows = await remove({ id })
      return rows.length > 0
    },
  }
}
