// `tenancy servers …`: add, list, drain, activate and remove the PostgreSQL servers tenants live on.
import { InvalidArgumentError, Option, type Command } from 'commander'
import { withRuntime } from '../with-runtime.ts'

const count = (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1_000_000) throw new InvalidArgumentError('an integer from 1 to 1000000 is needed')
  return Number(value)
}

export function registerServerCommands (program: Command): void {
  const servers = program.command('servers').description('the PostgreSQL servers tenants live on (the default one is DATABASE_URL\'s)')

  servers.command('add')
    .description('check a server (reachable; its role may CREATE DATABASE and CREATE ROLE) and record it; its URL is stored encrypted')
    .argument('<name>', 'a lowercase letter, then up to 39 lowercase letters, digits, "_" or "-"')
    .addOption(new Option('--url <url>', 'the admin URL, postgres://user:password@host:port/database (TENANCY_SERVER_URL keeps it out of the shell history)')
      .env('TENANCY_SERVER_URL').makeOptionMandatory())
    .option('--max-tenants <n>', 'most tenants placed there (default: no limit)', count)
    .option('--connection-budget <n>', 'tenant connections all instances together may hold there (default: its max_connections less a reserve)', count)
    .action(withRuntime(async ({ serverAdmin }, name: string, options: { url: string, maxTenants?: number, connectionBudget?: number }) => {
      const added = await serverAdmin.add({
        name,
        url: options.url,
        maxTenants: options.maxTenants,
        connectionBudget: options.connectionBudget,
      })
      console.log(`added server ${added.name} (${added.host}:${added.port}, PostgreSQL ${added.version ?? 'unknown'}); new tenants may be placed there`)
    }))

  servers.command('list')
    .description('every server: status, tenants, capacity, budget, connections in use, PostgreSQL version')
    .option('--json', 'print JSON')
    .action(withRuntime(async ({ serverAdmin }, options: { json?: boolean }) => {
      const rows = await serverAdmin.list()
      if (options.json === true) console.log(JSON.stringify(rows, null, 2))
      else console.table(rows.map((row) => ({ ...row, max_tenants: row.max_tenants ?? 'no limit', connections_in_use: row.connections_in_use ?? '-', version: row.version ?? 'unreachable' })))
    }))

  for (const [command, status, verb] of [['drain', 'draining', 'draining: no new tenants will be placed on'], ['activate', 'active', 'new tenants may be placed on']] as const) {
    servers.command(command)
      .description(command === 'drain' ? 'stop placing new tenants on a server (its tenants stay)' : 'place new tenants on a drained server again')
      .argument('<name>')
      .action(withRuntime(async ({ serverAdmin }, name: string) => {
        await serverAdmin.update(name, { status })
        console.log(`${verb} ${name}`)
      }))
  }

  servers.command('remove')
    .description('forget a server that holds no tenant')
    .argument('<name>')
    .action(withRuntime(async ({ serverAdmin }, name: string) => {
      await serverAdmin.remove(name)
      console.log(`removed server ${name}`)
    }))
}
