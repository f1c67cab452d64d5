// The template database new tenant databases are cloned from, kept at the latest tenant migration.
import type { Sql } from 'postgres'
import { migrateDatabase, tenantMigrations } from '../migrations/migrator.ts'
import { DUPLICATE_DATABASE, sqlState } from '../postgres-errors.ts'
import { databaseUrl } from '../tenant-database/admin.ts'

export interface TemplateDatabase {
  name: string
  /** The schema version of the template, once `ensure` has run in this process. */
  version: number | undefined
  /** Creates the template if missing and migrates it; no connection to it is kept. */
  ensure (sql: Sql): Promise<number>
}

/** One template per master database, so several masters can share a server (as the tests do). */
export function templateNameFor (masterDatabase: string): string {
  return `${masterDatabase.slice(0, 40)}_tenant_template`
}

export function createTemplateDatabase (options: { name: string, adminUrl: string }): TemplateDatabase {
  const template: TemplateDatabase = {
    name: options.name,
    version: undefined,
    async ensure (sql) {
      const [exists] = await sql`select 1 from pg_database where datname = ${options.name}`
      if (exists === undefined) {
        try {
          await sql`create database ${sql(options.name)}`
        } catch (error) {
          // Another process created it first: fine.
          if (sqlState(error) !== DUPLICATE_DATABASE) throw error
        }
        await sql`revoke all on database ${sql(options.name)} from public`
      }
      template.version = await migrateDatabase(databaseUrl(options.adminUrl, options.name), tenantMigrations)
      return template.version
    },
  }
  return template
}
