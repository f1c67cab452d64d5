// Categories in a tenant's own database. The database is the tenant: no query here needs a tenant filter. The
// repository is built once per pool (repositories.ts), and each query is prepared there once, on first use.
import { desc, eq, sql } from 'drizzle-orm'
import type { TenantDb } from './repositories.ts'
import { keyset, type Keyset } from '../pagination.ts'
import { rowsOf } from '../prepared-queries.ts'
import { categories, type CategoryRow } from './schema.ts'

export function createCategoriesRepository (db: TenantDb) {
  const listing = (name: string, after: boolean) => rowsOf<CategoryRow>(() => db.select().from(categories)
    .where(after ? keyset.after(categories.createdAt, categories.id) : undefined)
    .orderBy(desc(categories.createdAt), desc(categories.id))
    .limit(sql.placeholder('limit'))
    .prepare(name))
  const list = listing('categories_list', false)
  const listAfter = listing('categories_list_after', true)
  const find = rowsOf<CategoryRow>(() => db.select().from(categories).where(eq(categories.id, sql.placeholder('id'))).prepare('categories_find'))
  const create = rowsOf<CategoryRow>(() => db.insert(categories).values({ name: sql.placeholder('name') }).returning().prepare('categories_create'))
  // drizzle's types take no placeholder as an update value; inside sql`` it is one.
  const rename = rowsOf<CategoryRow>(() => db.update(categories).set({ name: sql`${sql.placeholder('name')}`, updatedAt: sql`now()` })
    .where(eq(categories.id, sql.placeholder('id'))).returning().prepare('categories_rename'))
  const remove = rowsOf<{ id: string }>(() => db.delete(categories).where(eq(categories.id, sql.placeholder('id')))
    .returning({ id: categories.id }).prepare('categories_remove'))

  return {
    async list (limit: number, after?: Keyset): Promise<CategoryRow[]> {
      return after === undefined ? list({ limit }) : listAfter({ limit, afterAt: after.at, afterId: after.id })
    },
    async find (id: string): Promise<CategoryRow | undefined> {
      const [row] = await find({ id })
      return row
    },
    async create (name: string): Promise<CategoryRow> {
      const [row] = await create({ name })
      return row as CategoryRow
    },
    async rename (id: string, name: string): Promise<CategoryRow | undefined> {
      const [row] = await rename({ id, name })
      return row
    },
    /** Its notes go with it (ON DELETE CASCADE). */
    async remove (id: string): Promise<boolean> {
      const rows = await remove({ id })
      return rows.length > 0
    },
  }
}
