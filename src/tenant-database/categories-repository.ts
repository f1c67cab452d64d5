// Categories in a tenant's own database. The database is the tenant: no query here needs a tenant filter.
import { desc, eq, getTableColumns, sql } from 'drizzle-orm'
import type { TenantDb } from './repositories.ts'
import { keyset, type Keyset } from '../pagination.ts'
import { categories, type Category } from './schema.ts'

export function createCategoriesRepository (db: TenantDb) {
  return {
    async list (limit: number, after?: Keyset): Promise<Array<Category & { keysetAt: string }>> {
      return db.select({ ...getTableColumns(categories), keysetAt: keyset.at(categories.createdAt) })
        .from(categories)
        .where(after === undefined ? undefined : keyset.after(categories.createdAt, categories.id, after))
        .orderBy(desc(categories.createdAt), desc(categories.id))
        .limit(limit)
    },
    async find (id: string): Promise<Category | undefined> {
      const [row] = await db.select().from(categories).where(eq(categories.id, id))
      return row
    },
    async create (name: string): Promise<Category> {
      const [row] = await db.insert(categories).values({ name }).returning()
      return row as Category
    },
    async rename (id: string, name: string): Promise<Category | undefined> {
      const [row] = await db.update(categories).set({ name, updatedAt: sql`now()` }).where(eq(categories.id, id)).returning()
      return row
    },
    /** Its notes go with it (ON DELETE CASCADE). */
    async remove (id: string): Promise<boolean> {
      const rows = await db.delete(categories).where(eq(categories.id, id)).returning({ id: categories.id })
      return rows.length > 0
    },
  }
}
