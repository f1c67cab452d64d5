// Notes in a tenant's own database, newest first, optionally by category. The repository is built once per pool
// (repositories.ts), and each of its queries is prepared there once, on first use (src/prepared-queries.ts).
import { and, desc, eq, getTableColumns, sql } from 'drizzle-orm'
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

/**
 * The most note text (titles and contents, in bytes as JSON writes them) one page carries: a page ends at `limit` notes or here,
 * whichever comes first, so that a tenant with many large notes cannot make one response tens of megabytes. The first
 * note of a page always comes, whatever its size: one note is at most about 600 KB (100,500 characters, 6 bytes each
 * when escaped).
 */
export const PAGE_TEXT_BYTES = 1024 * 1024

/** A page of notes, and whether more follow the last of them. */
export interface NotePage { rows: NoteRow[], more: boolean }

export function createNotesRepository (db: TenantDb) {
  // The newest `limit + 1` rows, numbered, with the running total of their text. A row fits while that total is within
  // the budget (the first row always does); of the rest only the first is read, without its text, to tell there is more.
  // Text is counted as JSON will write it: a control character is 1 byte stored and 6 escaped (\u0001).
  const size = sql<number>`octet_length(to_json(${notes.title})::text) + coalesce(octet_length(to_json(${notes.content})::text), 0)`
  const listing = (name: string, byCategory: boolean, after: boolean) => rowsOf<NoteRow & { fits: boolean }>(() => {
    // Each row's size is worked out once, here, and summed by the window above it.
    const sized = db.select({ ...getTableColumns(notes), size: size.as('size') }).from(notes)
      .where(and(
        byCategory ? eq(notes.categoryId, sql.placeholder('categoryId')) : undefined,
        after ? keyset.after(notes.createdAt, notes.id) : undefined,
      ))
      .orderBy(desc(notes.createdAt), desc(notes.id))
      .limit(sql.placeholder('limit'))
      .as('sized')
    const newestFirst = sql`order by ${sized.createdAt} desc, ${sized.id} desc`
    const newest = db.select({
      ...sized._.selectedFields,
      running: sql<number>`sum(${sized.size}) over (${newestFirst} rows unbounded preceding)`.as('running'),
      position: sql<number>`row_number() over (${newestFirst})`.as('position'),
    }).from(sized).as('newest')
    const fits = sql`(${newest.position} = 1 or ${newest.running} <= ${sql.placeholder('budget')})`
    // The row before this one fitted: it is the first, the second, or the total before it is within the budget.
    const afterOneThatFits = sql`${newest.position} <= 2 or ${newest.running} - ${newest.size} <= ${sql.placeholder('budget')}`
    return db.select({
      id: newest.id,
      title: sql<string>`case when ${fits} then ${newest.title} else '' end`.as('title'),
      content: sql<string | null>`case when ${fits} then ${newest.content} end`.as('content'),
      categoryId: newest.categoryId,
      createdAt: newest.createdAt,
      updatedAt: newest.updatedAt,
      fits: sql<boolean>`${fits}`.as('fits'),
    }).from(newest)
      .where(afterOneThatFits)
      .orderBy(desc(newest.createdAt), desc(newest.id))
      .prepare(name)
  })
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
    /** The newest notes (after a position, in a category) up to `limit` of them and PAGE_TEXT_BYTES of their text. */
    async list (limit: number, options: { after?: Keyset, categoryId?: string } = {}): Promise<NotePage> {
      const { after, categoryId } = options
      const values = { limit: limit + 1, budget: PAGE_TEXT_BYTES }
      const rows = categoryId === undefined
        ? await (after === undefined ? list(values) : listAfter({ ...values, afterAt: after.at, afterId: after.id }))
        : await (after === undefined
          ? listInCategory({ ...values, categoryId })
          : listInCategoryAfter({ ...values, categoryId, afterAt: after.at, afterId: after.id }))
      const page = rows.slice(0, limit).filter((row) => row.fits)
      return { rows: page, more: rows.length > page.length }
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
