// A tenant database's repositories, built once per pool (not per request) on that pool's drizzle handle.
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import { createCategoriesRepository } from './categories-repository.ts'
import { createNotesRepository } from './notes-repository.ts'
import type * as schema from './schema.ts'

export type TenantDb = PostgresJsDatabase<typeof schema>

export type TenantRepositories = ReturnType<typeof createTenantRepositories>

export function createTenantRepositories (db: TenantDb) {
  return {
    notes: createNotesRepository(db),
    categories: createCategoriesRepository(db),
  }
}
