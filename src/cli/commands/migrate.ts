// `tenancy migrate` and `tenancy status`: roll the tenant schema out to every tenant, and show where each one is.
import { InvalidArgumentError, type Command } from 'commander'
import { SingleBar, Presets } from 'cli-progress'
import { migrateTenants } from '../../migrations/fleet.ts'
import { tenantMigrations } from '../../migrations/migrator.ts'
import { withRuntime } from '../with-runtime.ts'

export function registerMigrateCommands (program: Command): void {
  program.command('migrate')
    .description('migrate the master database, the tenant template, then every tenant database; failures do not stop the others')
    .option('-c, --concurrency <n>', 'tenant databases migrated at once (default: MIGRATE_CONCURRENCY, 4)', (value) => {
      const n = Number(value)
      if (!/^\d+$/.test(value) || n < 1 || n > 64) throw new InvalidArgumentError('an integer from 1 to 64 is needed')
      return n
    })
    .action(withRuntime(async ({ config, master, migrator, lifecycle }, options: { concurrency?: number }) => {
      // Starting the runtime has already migrated the master database and the template.
      const concurrency = options.concurrency ?? config.migrateConcurrency
      const tenants = await master.tenants.listByStatus(['active', 'suspended'])
      console.log(`master and template are at the latest version; migrating ${tenants.length} tenant(s), ${concurrency} at a time`)
      const bar = new SingleBar({ format: ' {bar} {value}/{total} tenants | {failed} failed | {eta_formatted} left', noTTYOutput: true, notTTYSchedule: 5000 }, Presets.shades_classic)
      bar.start(tenants.length, 0, { failed: 0 })
      let failed = 0
      const outcomes = await migrateTenants(migrator, tenants, {
        concurrency,
        onDone: (outcome) => { bar.increment({ failed: outcome.error === undefined ? failed : ++failed }) },
      })
      bar.stop()
      for (const outcome of outcomes) {
        const result = outcome.error === undefined ? `v${outcome.from} -> v${outcome.to}` : `FAILED: ${outcome.error}`
        console.log(`  ${outcome.slug.padEnd(40)} ${result} (${Math.round(outcome.ms)} ms)`)
      }
      console.log(`${outcomes.length - failed} migrated, ${failed} failed (latest version ${tenantMigrations.latestVersion})`)
      const limits = await lifecycle.reconcileConnectionLimits(false)
      console.log(`connection limits: ${limits.changed} tenant(s) set to the configuration and the live instances` +
        (limits.failed.length > 0 ? `, ${limits.failed.length} could not be (${limits.failed.map((f) => f.slug).join(', ')})` : ''))
      if (failed > 0) console.log('run `tenancy migrate` again to retry the failed ones')
      return failed > 0 || limits.failed.length > 0 ? 1 : 0
    }))

  program.command('status')
    .description("each tenant's schema version against the latest")
    .option('--json', 'print JSON')
    .action(withRuntime(async ({ master }, options: { json?: boolean }) => {
      const latest = tenantMigrations.latestVersion
      const tenants = await master.tenants.listByStatus(['active', 'suspended', 'provisioning', 'deleting'])
      const rows = tenants.map((tenant) => ({ slug: tenant.slug, status: tenant.status, schema_version: tenant.schemaVersion, latest, behind: latest - tenant.schemaVersion }))
      if (options.json === true) console.log(JSON.stringify(rows, null, 2))
      else if (rows.length === 0) console.log(`no tenants (latest tenant schema version: ${latest})`)
      else console.table(rows)
      const behind = rows.filter((row) => row.behind > 0).length
      if (options.json !== true) console.log(`${rows.length - behind} up to date, ${behind} behind`)
    }))
}
