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

/**
 * The most note text (titles and contents, in bytes as JSON writes them) one page carries: a page ends at `limit` notes or here,
 * whichever comes first, so that a tenant with many large notes cannot make one response tens of megabytes. The first
 * note of a page always comes, whatever its size: one note is at most about 600 KB (100,500 characters, 6 bytes each
 * when escaped).
 */
export const PAGE_TEXT_BYTES = 1024 * 1024

/** A page of notes, and whether more follow the last of them. */
export interface NotePage { rows: NoteRow[], more: boolean }

/** A listed row: its title and content are null when the query held them back (a title is never null in the table). */
type ListedRow = Omit<NoteRow, 'title' | 'content'> & { title: string | null, content: string | null }

/**
 * The page within `rows` (the newest `limit + 1` from a position): up to `limit` of them while their text is within
 * PAGE_TEXT_BYTES, the first always. Undefined when a row of that page came without its text.
 */
function pageWithin (rows: ListedRow[], limit: number): NotePage | undefined {
  const page: NoteRow[] = []
  let bytes = 0
  for (const row of rows) {
    bytes += row.text_bytes
    if (page.length === limit || (page.length > 0 && bytes > PAGE_TEXT_BYTES)) break
    if (row.title === null) return undefined
    page.push(row as NoteRow)
  }
  return { rows: page, more: rows.length > page.length }
}

export function createNotesRepository (db: TenantDb) {
  const { textBytes } = notes
  const columns = { id: notes.id, categoryId: notes.categoryId, createdAt: notes.createdAt, updatedAt: notes.updatedAt, textBytes }
  const where = (byCategory: boolean, after: boolean) => and(
    byCategory ? eq(notes.categoryId, sql.placeholder('categoryId')) : undefined,
    after ? keyset.after(notes.createdAt, notes.id) : undefined,
  )
  // Two ways to read the newest `limit + 1` rows. Both give every row's size, so that pageWithin finds the page.
  // The usual one sends the text of a row only if `limit + 1` rows its size would fit the budget (`share`): whatever
  // the rows, it never sends more than the budget, and it costs what a plain select costs. When the page holds a row
  // larger than that, the exact one is asked instead: it sums the sizes in order (a window) and sends the text of the
  // rows within the budget, and of the first.
  const shared = (name: string, byCategory: boolean, after: boolean) => rowsOf<ListedRow>(() => {
    const within = sql`${textBytes} <= ${sql.placeholder('share')}`
    return db.select({
      ...columns,
      title: sql<string | null>`case when ${within} then ${notes.title} end`.as('title'),
      content: sql<string | null>`case when ${within} then ${notes.content} end`.as('content'),
    }).from(notes)
      .where(where(byCategory, after))
      .orderBy(desc(notes.createdAt), desc(notes.id))
      .limit(sql.placeholder('limit'))
      .prepare(name)
  })
  const exact = (name: string, byCategory: boolean, after: boolean) => rowsOf<ListedRow>(() => {
    const newestFirst = sql`order by ${notes.createdAt} desc, ${notes.id} desc`
    const newest = db.select({
      ...columns,
      title: notes.title,
      content: notes.content,
      running: sql<number>`sum(${textBytes}) over (${newestFirst} rows unbounded preceding)`.as('running'),
      position: sql<number>`row_number() over (${newestFirst})`.as('position'),
    }).from(notes)
      .where(where(byCategory, after))
      .orderBy(desc(notes.createdAt), desc(notes.id))
      .limit(sql.placeholder('limit'))
      .as('newest')
    const fits = sql`${newest.position} = 1 or ${newest.running} <= ${sql.placeholder('budget')}`
    return db.select({
      id: newest.id,
      categoryId: newest.categoryId,
      createdAt: newest.createdAt,
      updatedAt: newest.updatedAt,
      textBytes: newest.textBytes,
      title: sql<string | null>`case when ${fits} then ${newest.title} end`.as('title'),
      content: sql<string | null>`case when ${fits} then ${newest.content} end`.as('content'),
    }).from(newest)
      .orderBy(desc(newest.createdAt), desc(newest.id))
      .prepare(name)
  })
  const listing = (name: string, byCategory: boolean, after: boolean) =>
    ({ usual: shared(name, byCategory, after), exact: exact(`${name}_exact`, byCategory, after) })
  const listings = {
    newest: listing('notes_list', false, false),
    after: listing('notes_list_after', false, true),
    inCategory: listing('notes_list_in_category', true, false),
    inCategoryAfter: listing('notes_list_in_category_after', true, true),
  }
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
      const listing = listings[categoryId === undefined
        ? (after === undefined ? 'newest' : 'after')
        : (after === undefined ? 'inCategory' : 'inCategoryAfter')]
      const values = {
        limit: limit + 1,
        ...(categoryId !== undefined && { categoryId }),
        ...(after !== undefined && { afterAt: after.at, afterId: after.id }),
      }
      const page = pageWithin(await listing.usual({ ...values, share: Math.floor(PAGE_TEXT_BYTES / (limit + 1)) }), limit)
      if (page !== undefined) return page
      const exactPage = pageWithin(await listing.exact({ ...values, budget: PAGE_TEXT_BYTES }), limit)
      if (exactPage === undefined) throw new Error('the exact page query held back the text of a row within its budget')
      return exactPage
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
