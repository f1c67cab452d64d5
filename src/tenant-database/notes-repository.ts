// Notes in a tenant's own database, newest first, optionally by category.
import { and, desc, eq, getTableColumns, sql } from 'drizzle-orm'
import type { TenantDb } from './repositories.ts'
import { keyset, type Keyset } from '../pagination.ts'
import { notes, type Note } from './schema.ts'

export interface NoteChanges {
  title?: string
  content?: string | null
  categoryId?: string | null
}

export function createNotesRepository (db: TenantDb) {
  return {
    async list (limit: number, options: { after?: Keyset, categoryId?: string } = {}): Promise<Array<Note & { keysetAt: string }>> {
      return db.select({ ...getTableColumns(notes), keysetAt: keyset.at(notes.createdAt) })
        .from(notes)
        .where(and(
          options.categoryId === undefined ? undefined : eq(notes.categoryId, options.categoryId),
          options.after === undefined ? undefined : keyset.after(notes.createdAt, notes.id, options.after),
        ))
        .orderBy(desc(notes.createdAt), desc(notes.id))
        .limit(limit)
    },
    async find (id: string): Promise<Note | undefined> {
      const [row] = await db.select().from(notes).where(eq(notes.id, id))
      return row
    },
    async create (values: { title: string, content?: string | null, categoryId?: string | null }): Promise<Note> {
      const [row] = await db.insert(notes).values(values).returning()
      return row as Note
    },
    async update (id: string, changes: NoteChanges): Promise<Note | undefined> {
      const [row] = await db.update(notes).set({ ...changes, updatedAt: sql`now()` }).where(eq(notes.id, id)).returning()
      return row
    },
    async remove (id: string): Promise<boolean> {
      const rows = await db.delete(notes).where(eq(notes.id, id)).returning({ id: notes.id })
      return rows.length > 0
    },
  }
}
