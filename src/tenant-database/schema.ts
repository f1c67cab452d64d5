// A tenant's own database: its categories and notes. Nothing here names a tenant; the database is the boundary.
// Timestamps stay PostgreSQL's text (mode 'string'): the API writes them as ISO 8601 without a Date (src/timestamps.ts).
import { sql } from 'drizzle-orm'
import { index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import type { SqlRow } from '../prepared-queries.ts'

export const categories = pgTable('categories', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
}, (table) => [index('categories_created_idx').on(table.createdAt, table.id)])

export const notes = pgTable('notes', {
  id: uuid('id').primaryKey().defaultRandom(),
  title: text('title').notNull(),
  content: text('content'),
  categoryId: uuid('category_id').references(() => categories.id, { onDelete: 'cascade' }),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  // What the title and content take as JSON strings, kept with the row (json_string_bytes: tenant-migrations/0002), so
  // that a page's size is known without escaping its text again on every read.
  textBytes: integer('text_bytes').notNull()
    .generatedAlwaysAs(sql`public.json_string_bytes(title) + coalesce(public.json_string_bytes(content), 0)`),
}, (table) => [
  index('notes_created_idx').on(table.createdAt, table.id),
  index('notes_category_created_idx').on(table.categoryId, table.createdAt, table.id),
])

/** Rows as the repositories return them: columns under their SQL names, as postgres.js sends them (see rowsOf). */
export type CategoryRow = SqlRow<typeof categories>
export type NoteRow = SqlRow<typeof notes>
