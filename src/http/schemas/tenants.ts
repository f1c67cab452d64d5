// How a tenant is shown to the platform admin, and what a client may send about one.
import { Type } from 'typebox'
import type { Tenant } from '../../master/schema.ts'
import { Timestamp } from './common.ts'

export { ProvisionFields, Slug, TenantName } from '../../fields.ts'
export const SlugParams = Type.Object({ slug: Type.String({ minLength: 1, maxLength: 64 }) })

export const TenantResponse = Type.Object({
  slug: Type.String(),
  name: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('provisioning'), Type.Literal('deleting')]),
  database: Type.String(),
  schema_version: Type.Integer(),
  /** The database server its database lives on. */
  server: Type.String(),
  created_at: Timestamp,
})

export function tenantResponse (tenant: Tenant, server: string) {
  return {
    slug: tenant.slug,
    name: tenant.name,
    status: tenant.status,
    database: tenant.databaseName,
    schema_version: tenant.schemaVersion,
    server,
    created_at: tenant.createdAt.toISOString(),
  }
}
