// The master database: who the tenants are, where their databases live, and who may log in.
import { boolean, check, index, integer, pgEnum, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core'
import { sql } from 'drizzle-orm'

export const tenantStatus = pgEnum('tenant_status', ['provisioning', 'active', 'suspended', 'deleting'])
export const userRole = pgEnum('user_role', ['platform_admin', 'owner', 'admin', 'member'])
export const serverStatus = pgEnum('server_status', ['active', 'draining'])

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}

/**
 * This master database's identity, one row. The databases and roles it creates on a server carry it in their comment,
 * so that it never drops a `tenant_<slug>` made by another master (a staging deployment) sharing that server.
 */
export const installation = pgTable('installation', {
  id: uuid('id').primaryKey().defaultRandom(),
  singleton: boolean('singleton').notNull().default(true).unique(),
  createdAt: timestamps.createdAt,
}, (table) => [check('installation_singleton', sql`${table.singleton}`)])

/**
 * PostgreSQL servers that hold tenant databases. The default one is DATABASE_URL's, whose admin login comes from the
 * configuration; every other one keeps its admin URL here, encrypted (see servers/credentials.ts).
 */
export const databaseServers = pgTable('database_servers', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull().unique(),
  /** Where tenant pools connect (as tenant roles). */
  host: text('host').notNull(),
  port: integer('port').notNull(),
  /** The admin URL, AES-256-GCM encrypted; null for the default server. */
  adminUrlEncrypted: text('admin_url_encrypted'),
  /** A draining server takes no new tenants. */
  status: serverStatus('status').notNull().default('active'),
  /** Most tenants placed here; null for no limit. */
  maxTenants: integer('max_tenants'),
  /** Tenant connections all instances together may hold; null: the server's max_connections less a reserve. */
  connectionBudget: integer('connection_budget'),
  createdAt: timestamps.createdAt,
})

export const tenants = pgTable('tenants', {
  id: uuid('id').primaryKey().defaultRandom(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  status: tenantStatus('status').notNull().default('provisioning'),
  databaseName: text('database_name').notNull().unique(),
  serverId: uuid('server_id').notNull().references(() => databaseServers.id),
  /** How many tenant migrations the tenant's database has applied. */
  schemaVersion: integer('schema_version').notNull().default(0),
  /** The last provisioning step that completed, so an interrupted provisioning can be cleaned up. */
  provisioningStep: text('provisioning_step'),
  /** Why the last migration of its database failed; null once it succeeds. */
  migrationError: text('migration_error'),
  ...timestamps,
}, (table) => [index('tenants_created_at_idx').on(table.createdAt, table.id)])

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** Null for platform admins, who belong to no tenant. */
  tenantId: uuid('tenant_id').references(() => tenants.id, { onDelete: 'cascade' }),
  email: text('email').notNull(),
  name: text('name'),
  passwordHash: text('password_hash').notNull(),
  role: userRole('role').notNull(),
  /** Bumped by a password or role change: access tokens carry it, and routes that grant power refuse older ones. */
  tokenVersion: integer('token_version').notNull().default(0),
  ...timestamps,
}, (table) => [
  // The same email may exist in two tenants; among platform admins (tenant null) it is unique too.
  unique('users_tenant_email_unique').on(table.tenantId, table.email).nullsNotDistinct(),
  index('users_tenant_created_idx').on(table.tenantId, table.createdAt, table.id),
])

/** Opaque refresh tokens, stored as SHA-256 hashes. A family is one login's chain of rotations. */
export const refreshTokens = pgTable('refresh_tokens', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  familyId: uuid('family_id').notNull(),
  /** The user's token_version when this token was issued: a password, role or membership change makes it stale. */
  tokenVersion: integer('token_version').notNull().default(0),
  tokenHash: text('token_hash').notNull().unique(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true }),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
  createdAt: timestamps.createdAt,
}, (table) => [
  index('refresh_tokens_family_idx').on(table.familyId),
  index('refresh_tokens_user_idx').on(table.userId),
])

/**
 * Live app instances: each server process registers and beats every few seconds. Budgets that all instances share (a
 * tenant's connection limit, later a server's connections) are divided by how many are live.
 */
export const instances = pgTable('instances', {
  id: uuid('id').primaryKey().defaultRandom(),
  hostname: text('hostname').notNull(),
  pid: integer('pid').notNull(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }).notNull().defaultNow(),
}, (table) => [index('instances_heartbeat_idx').on(table.heartbeatAt)])

export type Tenant = typeof tenants.$inferSelect
export type User = typeof users.$inferSelect
export type UserRole = (typeof userRole.enumValues)[number]
export type TenantStatus = (typeof tenantStatus.enumValues)[number]
export type DatabaseServer = typeof databaseServers.$inferSelect
export type ServerStatus = (typeof serverStatus.enumValues)[number]
