// The fast path: a clone of the template has exactly the schema migrating from scratch produces.
import t from 'tap'
import { tenantMigrations } from '../../src/migrations/migrator.ts'
import { adminToken, buildTestApp, createTenant } from '../helpers/app.ts'
import { withAdmin } from '../helpers/database.ts'

/** Tables, columns, constraints, indexes and applied migrations: what must match between the two paths. */
async function schemaOf (database: string) {
  return withAdmin(async (sql) => ({
    columns: await sql`select table_schema, table_name, column_name, data_type, is_nullable, column_default from information_schema.columns where table_schema in ('public', 'drizzle') order by 1, 2, 3`,
    constraints: await sql`select conname, pg_get_constraintdef(c.oid) as def from pg_constraint c join pg_namespace n on n.oid = c.connamespace where n.nspname = 'public' order by 1`,
    indexes: await sql`select indexname, indexdef from pg_indexes where schemaname = 'public' order by 1`,
    migrations: await sql`select hash from drizzle.__drizzle_migrations order by id`,
    grants: (await sql`select grantee, table_name, privilege_type from information_schema.role_table_grants where table_schema = 'public' and grantee like 'tenant_%' order by 2, 3`).map((row) => ({ ...row, grantee: 'tenant role' })),
  }), database)
}

t.test('cloned and migrated tenant databases have the same schema', async (t) => {
  const cloning = await buildTestApp(t)
  const migrating = await buildTestApp(t, {}, { useTemplate: false })
  const cloned = await createTenant(cloning, await adminToken(cloning))
  const migrated = await createTenant(migrating, await adminToken(migrating))
  const [a, b] = await Promise.all([schemaOf(`tenant_${cloned.slug}`), schemaOf(`tenant_${migrated.slug}`)])
  t.ok(a.columns.length > 0 && a.indexes.length > 0, 'there is a schema to compare')
  t.equal(a.migrations.length, tenantMigrations.latestVersion)
  t.same(a, b)
})
