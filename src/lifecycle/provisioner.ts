// Tenant creation and deletion as a pipeline of named steps, safe under concurrent requests and resumable after a crash.
import type { TransactionSql } from 'postgres'
import { checkPasswordPolicy, hashPassword } from '../auth/passwords.ts'
import { ConflictError, InvalidSlugError, ProvisioningFailedError, SlugTakenError, TenantNotFoundError } from '../errors.ts'
import type { Tenant, User } from '../master/schema.ts'
import type { TenantsRepository } from '../master/tenants-repository.ts'
import { migrateDatabase, tenantMigrations } from '../migrations/migrator.ts'
import { isValidSlug, tenantDatabaseName } from '../tenant-database/identity.ts'
import type { TemplateDatabase } from './template.ts'
import type { TenantSession, WithTenantLock } from './tenant-lock.ts'

export const PROVISIONING_STEPS = ['clear-leftovers', 'create-role', 'create-database', 'migrate', 'grant-and-seed', 'create-owner', 'activate'] as const
export type ProvisioningStep = (typeof PROVISIONING_STEPS)[number]

export const SEED_CATEGORIES = ['General', 'Work', 'Personal']

export interface ProvisionRequest {
  slug: string
  name: string
  owner: { email: string, password: string, name?: string | null }
}

export interface ProvisionerOptions {
  withTenantLock: WithTenantLock
  /** Lists tenants for crash recovery. */
  tenants: Pick<TenantsRepository, 'listByStatus'>
  serverId: string
  /** Clone from this template when it is at the latest version; otherwise create an empty database and migrate it. */
  template?: TemplateDatabase
  /** Called when a tenant starts or stops existing (activation, start of deletion): drop what is cached about it. */
  onTenantChanged?: (slug: string) => Promise<void>
  /** Runs before each step; tests inject failures here. */
  beforeStep?: (step: ProvisioningStep, slug: string) => void | Promise<void>
  log?: { warn: (object: object, message: string) => void }
}

export type Provisioner = ReturnType<typeof createProvisioner>

export function createProvisioner (options: ProvisionerOptions) {
  const { withTenantLock } = options

  /** Undoes every step, each idempotently: what a failed or interrupted provisioning, and a deletion, leave behind. */
  async function discard (session: TenantSession, tenant: Tenant): Promise<void> {
    await session.users.removeAllOfTenant(tenant.id)
    await session.admin.dropDatabase(tenant.slug)
    await session.admin.dropRole(tenant.slug)
    await session.tenants.remove(tenant.id)
  }

  async function provision (request: ProvisionRequest, deadline?: number): Promise<{ tenant: Tenant, owner: User }> {
    const { slug } = request
    if (!isValidSlug(slug)) throw new InvalidSlugError()
    checkPasswordPolicy(request.owner.password, [request.owner.email, request.owner.name])
    const passwordHash = await hashPassword(request.owner.password)

    return withTenantLock(slug, () => new SlugTakenError(), async (session) => {
      const existing = await session.tenants.findBySlug(slug)
      if (existing !== undefined && existing.status !== 'provisioning') throw new SlugTakenError()
      // We hold the lock, so a `provisioning` row belongs to an attempt that died: clear it and start again.
      if (existing !== undefined) await discard(session, existing)
      const tenant = await session.tenants.reserve({ slug, name: request.name, databaseName: tenantDatabaseName(slug), serverId: options.serverId })
      if (tenant === undefined) throw new SlugTakenError()

      const template = options.template?.version === tenantMigrations.latestVersion ? options.template : undefined
      let schemaVersion = template?.version ?? 0
      let owner: User | undefined
      let activated: Tenant | undefined
      const steps: Record<ProvisioningStep, () => Promise<unknown>> = {
        // Only our own earlier attempts can have made tenant_<slug>: the slug was free and is locked.
        'clear-leftovers': async () => {
          await session.admin.dropDatabase(slug)
          await session.admin.dropRole(slug)
        },
        'create-role': () => session.admin.createRole(slug),
        'create-database': () => session.admin.createDatabase(slug, template?.name),
        migrate: async () => {
          if (template === undefined) schemaVersion = await migrateDatabase(session.admin.urlFor(tenantDatabaseName(slug)), tenantMigrations)
        },
        'grant-and-seed': () => session.admin.grantAccess(slug, seed),
        'create-owner': async () => {
          owner = await session.users.create({ tenantId: tenant.id, email: request.owner.email, name: request.owner.name ?? null, passwordHash, role: 'owner' })
          if (owner === undefined) throw new Error('the owner could not be created')
        },
        activate: async () => { activated = await session.tenants.activate(tenant.id, schemaVersion) },
      }
      for (const step of PROVISIONING_STEPS) {
        try {
          await options.beforeStep?.(step, slug)
          await steps[step]()
          if (step !== 'activate') await session.tenants.recordStep(tenant.id, step)
        } catch (error) {
          options.log?.warn({ err: error, slug, step }, 'provisioning failed; rolling back')
          // If the rollback fails too, the row stays `provisioning` and the next attempt or start-up clears it.
          await discard(session, tenant).catch((rollbackError: unknown) => {
            options.log?.warn({ err: rollbackError, slug }, 'rollback incomplete; it will be finished on retry or restart')
          })
          throw new ProvisioningFailedError(step, { cause: error })
        }
      }
      await options.onTenantChanged?.(slug)
      return { tenant: activated as Tenant, owner: owner as User }
    }, deadline)
  }

  async function deprovision (slug: string, deadline?: number): Promise<void> {
    if (!isValidSlug(slug)) throw new TenantNotFoundError()
    await withTenantLock(slug, () => new ConflictError('The tenant is being changed by another request; retry shortly'), async (session) => {
      const tenant = await session.tenants.findBySlug(slug)
      if (tenant === undefined || tenant.status === 'provisioning') throw new TenantNotFoundError()
      // Stop serving first: after this no login, token or pool reaches the tenant, even if a later step fails.
      await session.tenants.update(slug, { status: 'deleting' })
      await options.onTenantChanged?.(slug)
      await discard(session, tenant)
    }, deadline)
  }

  /** Finishes what crashed processes left: rolls back interrupted provisionings and completes interrupted deletions. */
  async function recover (): Promise<string[]> {
    const stale = await options.tenants.listByStatus(['provisioning', 'deleting'])
    const recovered: string[] = []
    for (const tenant of stale) {
      try {
        await withTenantLock(tenant.slug, () => new ConflictError('in progress'), async (session) => {
          const current = await session.tenants.findBySlug(tenant.slug)
          if (current?.status === 'provisioning' || current?.status === 'deleting') {
            await discard(session, current)
            recovered.push(tenant.slug)
          }
        })
      } catch (error) {
        // Still being worked on by a live process (or the server is unwell): leave it to that process or the next start.
        if (!(error instanceof ConflictError)) options.log?.warn({ err: error, slug: tenant.slug }, 'could not recover tenant')
      }
    }
    return recovered
  }

  return { provision, deprovision, recover }
}

async function seed (sql: TransactionSql): Promise<void> {
  await sql`insert into categories ${sql(SEED_CATEGORIES.map((name) => ({ name })))}`
}
