// `tenancy tenants …`: create, list, show, suspend, activate and drop tenants.
import type { Command } from 'commander'
import type { Tenant } from '../../master/schema.ts'
import type { Runtime } from '../../runtime.ts'
import { withRuntime } from '../with-runtime.ts'

function describe (tenant: Tenant, servers: Runtime['servers']): Record<string, string | number> {
  return {
    slug: tenant.slug,
    name: printable(tenant.name),
    status: tenant.status,
    server: servers.all().find((server) => server.id === tenant.serverId)?.name ?? tenant.serverId,
    database: tenant.databaseName,
    schema_version: tenant.schemaVersion,
    created_at: tenant.createdAt.toISOString(),
  }
}

interface CreateOptions {
  name: string
  ownerEmail: string
  ownerName?: string
  ownerPassword?: string
  server?: string
}

/** A name as a terminal should show it: control characters (a name stored before they were refused) escaped. */
function printable (text: string): string {
  return text.replace(/\p{Cc}/gu, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

export function registerTenantCommands (program: Command): void {
  const tenants = program.command('tenants').description('create, list, suspend and drop tenants')

  tenants.command('create')
    .description('provision a tenant: its database, role, migrations, seed data and owner')
    .argument('<slug>', 'a lowercase letter, then lowercase letters, digits or "_" (3-40 characters)')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--owner-email <email>', "the owner's email")
    .option('--owner-name <name>', "the owner's name")
    .option('--owner-password <password>', "the owner's password (default: the TENANCY_OWNER_PASSWORD variable)")
    .option('--server <name>', 'the database server to put it on (default: the placement policy picks one)')
    .action(withRuntime(async ({ lifecycle }, slug: string, options: CreateOptions) => {
      const password = options.ownerPassword ?? process.env.TENANCY_OWNER_PASSWORD
      if (password === undefined) throw new Error('give the owner a password with --owner-password or TENANCY_OWNER_PASSWORD')
      const { tenant } = await lifecycle.provision({
        slug,
        name: options.name,
        owner: { email: options.ownerEmail, password, name: options.ownerName },
        server: options.server,
      })
      console.log(`created tenant ${tenant.slug} (database ${tenant.databaseName}, schema version ${tenant.schemaVersion})`)
    }))

  tenants.command('list')
    .description('list every tenant')
    .option('--json', 'print JSON')
    .action(withRuntime(async ({ master, servers }, options: { json?: boolean }) => {
      const rows = (await master.tenants.listByStatus(['active', 'suspended', 'provisioning', 'deleting'])).map((tenant) => describe(tenant, servers))
      if (options.json === true) console.log(JSON.stringify(rows, null, 2))
      else if (rows.length === 0) console.log('no tenants')
      else console.table(rows)
    }))

  tenants.command('show')
    .description("show one tenant's record")
    .argument('<slug>')
    .action(withRuntime(async ({ master, servers }, slug: string) => {
      const tenant = await master.tenants.findBySlug(slug)
      if (tenant === undefined) throw new Error(`no tenant "${slug}"`)
      console.log(JSON.stringify(describe(tenant, servers), null, 2))
    }))

  for (const [command, status, verb] of [['suspend', 'suspended', 'suspended'], ['activate', 'active', 'reactivated']] as const) {
    tenants.command(command)
      .description(command === 'suspend'
        ? "refuse the tenant's requests and logins (403) and close its pools; running servers are told at once"
        : 'serve a suspended tenant again')
      .argument('<slug>')
      .action(withRuntime(async ({ lifecycle }, slug: string) => {
        await lifecycle.update(slug, { status })
        console.log(`${verb} ${slug}`)
      }))
  }

  tenants.command('drop')
    .description('delete a tenant: its database, role, users and tokens (irreversible)')
    .argument('<slug>')
    .option('--yes', 'confirm: without it nothing is dropped')
    .action(withRuntime(async ({ lifecycle }, slug: string, options: { yes?: boolean }) => {
      if (options.yes !== true) throw new Error(`dropping ${slug} deletes its database for good; repeat with --yes`)
      await lifecycle.remove(slug)
      console.log(`dropped ${slug}`)
    }))
}
