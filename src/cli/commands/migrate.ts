// `tenancy migrate` and `tenancy status`: roll the tenant schema out over every server, and show where each tenant is.
import { InvalidArgumentError, type Command } from 'commander'
import { SingleBar, Presets } from 'cli-progress'
import type { Tenant } from '../../master/schema.ts'
import { migrateTenants, type MigrationOutcome } from '../../migrations/fleet.ts'
import { tenantMigrations } from '../../migrations/migrator.ts'
import type { Runtime } from '../../runtime.ts'
import { withRuntime } from '../with-runtime.ts'

interface MigrateOptions {
  concurrency?: number
  verify?: boolean
  tenants?: string[]
  first?: number
}

const integer = (name: string, max: number) => (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}`)
  return Number(value)
}

/** `--tenants a,b`: an empty list is a mistake (an unset variable, say), not a run that migrates nothing and succeeds. */
function slugList (value: string): string[] {
  const slugs = value.split(',').map((slug) => slug.trim()).filter(Boolean)
  if (slugs.length === 0) throw new InvalidArgumentError('--tenants needs at least one tenant slug')
  return slugs
}

/** The tenants a run covers: every serving one, or those named, or the first N (by slug): a canary before the rest. */
function chosen (all: Tenant[], options: MigrateOptions): Tenant[] {
  let tenants = all
  if (options.tenants !== undefined) {
    const named = new Set(options.tenants)
    const unknown = [...named].filter((slug) => !all.some((tenant) => tenant.slug === slug))
    if (unknown.length > 0) throw new Error(`no active or suspended tenant ${unknown.map((slug) => `"${slug}"`).join(', ')}`)
    tenants = all.filter((tenant) => named.has(tenant.slug))
  }
  return options.first === undefined ? tenants : tenants.slice(0, options.first)
}

export function registerMigrateCommands (program: Command): void {
  program.command('migrate')
    .description('migrate the master database, each server\'s template, then the tenant databases that are behind; failures do not stop the others')
    .option('-c, --concurrency <n>', 'tenant databases migrated at once (default: MIGRATE_CONCURRENCY, 4)', integer('--concurrency', 64))
    .option('--verify', 'connect to every tenant database, even those the master records as current')
    .option('--tenants <slugs>', 'only these tenants, comma-separated (a canary)', slugList)
    .option('--first <n>', 'only the first N tenants, by slug (a canary)', integer('--first', 1_000_000))
    .action(withRuntime(async (runtime, options: MigrateOptions) => {
      const { config, master, migrator, lifecycle, servers, templates } = runtime
      // Starting the runtime migrated the master; each server's template is brought up to date before its tenants.
      for (const server of servers.all()) await templates.ensure(server, true)
      const concurrency = options.concurrency ?? config.migrateConcurrency
      const tenants = chosen(await master.tenants.listByStatus(['active', 'suspended']), options)
      const latest = tenantMigrations.latestVersion
      // The master records each tenant's version: a current one is skipped without connecting to it, unless verifying.
      const due = options.verify === true
        ? tenants
        : tenants.filter((tenant) => tenant.schemaVersion < latest || tenant.migrationError !== null)
      console.log(`${tenants.length} tenant(s), ${due.length} to migrate${options.verify === true ? ' (verifying all)' : ''}, ${concurrency} at a time; latest version ${latest}`)
      const bar = new SingleBar({ format: ' {bar} {value}/{total} tenants | {failed} failed | {eta_formatted} left', noTTYOutput: true, notTTYSchedule: 5000 }, Presets.shades_classic)
      bar.start(due.length, 0, { failed: 0 })
      let failed = 0
      const outcomes = await migrateTenants(migrator, due, {
        concurrency,
        onDone: (outcome) => { bar.increment({ failed: outcome.error === undefined ? failed : ++failed }) },
      })
      bar.stop()
      for (const outcome of outcomes) {
        const result = outcome.error === undefined ? `v${outcome.from} -> v${outcome.to}` : `FAILED: ${outcome.error}`
        console.log(`  ${outcome.slug.padEnd(40)} ${result} (${Math.round(outcome.ms)} ms)`)
      }
      printPerServer(runtime, tenants, outcomes)
      console.log(`${outcomes.length - failed} migrated, ${failed} failed, ${tenants.length - due.length} already current (latest version ${latest})`)
      if (failed > 0) console.log('run `tenancy migrate` again to retry the failed ones (`tenancy status` shows why each failed)')
      const limits = await lifecycle.reconcileConnectionLimits(false)
      console.log(`connection limits: ${limits.changed} tenant(s) set to the configuration and the live instances` +
        (limits.failed.length > 0 ? `, ${limits.failed.length} could not be (${limits.failed.map((f) => f.slug).join(', ')})` : ''))
      return failed > 0 || limits.failed.length > 0 ? 1 : 0
    }))

  program.command('status')
    .description("each tenant's server and schema version against the latest, and why its last migration failed")
    .option('--json', 'print JSON')
    .action(withRuntime(async ({ master, servers }, options: { json?: boolean }) => {
      const latest = tenantMigrations.latestVersion
      const tenants = await master.tenants.listByStatus(['active', 'suspended', 'provisioning', 'deleting'])
      const serverName = (id: string) => servers.all().find((server) => server.id === id)?.name ?? id
      const rows = tenants.map((tenant) => ({
        slug: tenant.slug,
        status: tenant.status,
        server: serverName(tenant.serverId),
        schema_version: tenant.schemaVersion,
        latest,
        behind: latest - tenant.schemaVersion,
        migration_error: tenant.migrationError,
      }))
      if (options.json === true) console.log(JSON.stringify(rows, null, 2))
      else if (rows.length === 0) console.log(`no tenants (latest tenant schema version: ${latest})`)
      else console.table(rows.map((row) => ({ ...row, migration_error: row.migration_error?.slice(0, 60) ?? '' })))
      const behind = rows.filter((row) => row.behind > 0).length
      const failed = rows.filter((row) => row.migration_error !== null).length
      if (options.json !== true) console.log(`${rows.length - behind} up to date, ${behind} behind, ${failed} with a failed migration`)
    }))
}

/** One line per server: what this run did there. */
function printPerServer (runtime: Runtime, tenants: Tenant[], outcomes: MigrationOutcome[]): void {
  const bySlug = new Map(outcomes.map((outcome) => [outcome.slug, outcome]))
  for (const server of runtime.servers.all()) {
    const here = tenants.filter((tenant) => tenant.serverId === server.id)
    if (here.length === 0) continue
    const done = here.map((tenant) => bySlug.get(tenant.slug))
    const failed = done.filter((outcome) => outcome?.error !== undefined).length
    const migrated = done.filter((outcome) => outcome !== undefined && outcome.error === undefined).length
    console.log(`server ${server.name}: ${migrated} migrated, ${failed} failed, ${here.length - migrated - failed} already current`)
  }
}
