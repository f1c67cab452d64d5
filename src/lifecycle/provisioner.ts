// Tenant creation and deletion as a pipeline of named steps, safe under concurrent requests and resumable after a crash,
// on whichever server placement picks (or the tenant's row names).
import type { TransactionSql } from 'postgres'
import { checkPasswordPolicy, hashPassword } from '../auth/passwords.ts'
import { ConflictError, InvalidSlugError, ProvisioningFailedError, SlugTakenError, SlugUnavailableError, TenantNotFoundError } from '../errors.ts'
import { assertProvisionFields } from '../fields.ts'
import type { Tenant, User } from '../master/schema.ts'
import type { TenantsRepository } from '../master/tenants-repository.ts'
import { migrateDatabase, tenantMigrations } from '../migrations/migrator.ts'
import type { ServerHandle, ServerRegistry } from '../servers/registry.ts'
import { isValidSlug, tenantDatabaseName } from '../tenant-database/identity.ts'
import type { TenantDatabaseAdmin } from '../tenant-database/admin.ts'
import { reserveOnServer } from './placing.ts'
import type { TenantSession, WithTenantLock } from './tenant-lock.ts'

export const PROVISIONING_STEPS = ['clear-leftovers', 'create-role', 'create-database', 'migrate', 'grant-and-seed', 'create-owner', 'activate'] as const
export type ProvisioningStep = (typeof PROVISIONING_STEPS)[number]

export const SEED_CATEGORIES = ['General', 'Work', 'Personal']

export interface ProvisionRequest {
  slug: string
  name: string
  owner: { email: string, password: string, name?: string | null }
  /** A server's name; without it, placement picks one (see servers/placement.ts). */
  server?: string
}

export interface ProvisionerOptions {
  withTenantLock: WithTenantLock
  /** Lists tenants for crash recovery. */
  tenants: Pick<TenantsRepository, 'listByStatus'>
  servers: ServerRegistry
  /** Brings the server's template to the latest migration, once per process (false: create and migrate instead). */
  ensureTemplate (server: ServerHandle): Promise<boolean>
  /** Called when a tenant starts or stops existing (activation, start of deletion): drop what is cached about it. */
  onTenantChanged?: (slug: string) => Promise<void>
  /** Runs before each step; tests inject failures here. */
  beforeStep?: (step: ProvisioningStep, slug: string) => void | Promise<void>
  log?: { warn: (object: object, message: string) => void }
}

export type Provisioner = ReturnType<typeof createProvisioner>

export function createProvisioner (options: ProvisionerOptions) {
  const { withTenantLock, servers } = options

  /**
   * Undoes every step, each idempotently: what a failed or interrupted provisioning, and a deletion, leave behind. The
   * database and role are dropped when they carry this installation's mark, or when `claimed`: the tenant got past
   * clearing leftovers, so a `tenant_<slug>` without the mark is one a crash left before its mark was written (or one
   * made before marks existed). Anything else with that name belongs to someone else and stays.
   */
  async function discard (session: TenantSession, tenant: Tenant, claimed: boolean): Promise<void> {
    const admin = await session.adminOn(servers.get(tenant.serverId))
    const made = await admin.madeHere(tenant.slug)
    await session.users.removeAllOfTenant(tenant.id)
    if (made.database === true || (made.database === false && claimed)) await admin.dropDatabase(tenant.slug)
    if (made.role === true || (made.role === false && claimed)) await admin.dropRole(tenant.slug)
    await session.tenants.remove(tenant.id)
  }

  /** Whether a tenant's row shows it got past clearing leftovers: active, being deleted, or a step recorded. */
  function claimed (tenant: Tenant): boolean {
    return tenant.status !== 'provisioning' || tenant.provisioningStep !== null
  }

  async function provision (request: ProvisionRequest, deadline?: number): Promise<{ tenant: Tenant, owner: User }> {
    const { slug } = request
    if (!isValidSlug(slug)) throw new InvalidSlugError()
    // HTTP has checked this already; the CLI and other callers get the same rules.
    assertProvisionFields(request)
    checkPasswordPolicy(request.owner.password, [request.owner.email, request.owner.name])
    const passwordHash = await hashPassword(request.owner.password)

    return withTenantLock(slug, () => new SlugTakenError(), async (session) => {
      const existing = await session.tenants.findBySlug(slug)
      if (existing !== undefined && existing.status !== 'provisioning') throw new SlugTakenError()
      // We hold the lock, so a `provisioning` row belongs to an attempt that died: clear it and start again.
      if (existing !== undefined) await discard(session, existing, claimed(existing))
      const values = { slug, name: request.name, databaseName: tenantDatabaseName(slug) }
      const { tenant, server } = await reserveOnServer(session, servers, values, request.server)
      let cloned: boolean
      let admin: TenantDatabaseAdmin
      try {
        cloned = await options.ensureTemplate(server)
        admin = await session.adminOn(server)
      } catch (error) {
        // No step has run, so nothing is on the server yet (the template is not the tenant's): the reserved row is all
        // there is to undo. Left behind it would be listed, count against the server's room, and answer 404 until restart.
        options.log?.warn({ err: error, slug }, 'provisioning could not start; discarding the reserved tenant')
        await session.tenants.remove(tenant.id).catch((removeError: unknown) => {
          options.log?.warn({ err: removeError, slug }, 'rollback incomplete; it will be finished on retry or restart')
        })
        throw error
      }
      const template = cloned ? server.template : undefined
      let schemaVersion = template?.version ?? 0
      let owner: User | undefined
      let activated: Tenant | undefined
      const steps: Record<ProvisioningStep, () => Promise<unknown>> = {
        // An earlier attempt of ours leaves marked leftovers to drop; a database or role of that name without the mark
        // is someone else's (another master on this server) and makes the slug unavailable here.
        'clear-leftovers': () => clearLeftovers(admin, slug),
        'create-role': () => admin.createRole(slug),
        'create-database': () => admin.createDatabase(slug, template?.name),
        migrate: async () => {
          if (template === undefined) schemaVersion = await migrateDatabase(admin.urlFor(tenantDatabaseName(slug)), tenantMigrations)
        },
        'grant-and-seed': () => admin.grantAccess(slug, seed),
        'create-owner': async () => {
          owner = await session.users.create({ tenantId: tenant.id, email: request.owner.email, name: request.owner.name ?? null, passwordHash, role: 'owner' })
          if (owner === undefined) throw new Error('the owner could not be created')
        },
        activate: async () => { activated = await session.tenants.activate(tenant.id, schemaVersion) },
      }
      let cleared = false
      for (const step of PROVISIONING_STEPS) {
        try {
          await options.beforeStep?.(step, slug)
          await steps[step]()
          if (step !== 'activate') await session.tenants.recordStep(tenant.id, step)
          cleared = true
        } catch (error) {
          options.log?.warn({ err: error, slug, step }, 'provisioning failed; rolling back')
          // If the rollback fails too, the row stays `provisioning` and the next attempt or start-up clears it.
          await discard(session, tenant, cleared).catch((rollbackError: unknown) => {
            options.log?.warn({ err: rollbackError, slug }, 'rollback incomplete; it will be finished on retry or restart')
          })
          if (error instanceof SlugUnavailableError) throw error
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
      await discard(session, tenant, true)
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
            await discard(session, current, claimed(current))
            recovered.push(tenant.slug)
          }
        })
      } catch (error) {
        // Still being worked on by a live process (or its server is away): leave it to that process or the next start.
        if (!(error instanceof ConflictError)) options.log?.warn({ err: error, slug: tenant.slug }, 'could not recover tenant')
      }
    }
    return recovered
  }

  return { provision, deprovision, recover }
}

async function clearLeftovers (admin: TenantDatabaseAdmin, slug: string): Promise<void> {
  const made = await admin.madeHere(slug)
  if (made.database === false || made.role === false) throw new SlugUnavailableError()
  if (made.database === true) await admin.dropDatabase(slug)
  if (made.role === true) await admin.dropRole(slug)
}

async function seed (sql: TransactionSql): Promise<void> {
  await sql`insert into categories ${sql(SEED_CATEGORIES.map((name) => ({ name })))}`
}
