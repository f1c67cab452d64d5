// drizzle-kit configuration for both schemas: DRIZZLE_TARGET=master|tenant picks which one (see the db:* npm scripts).
import { defineConfig } from 'drizzle-kit'

const targets = {
  master: { schema: './src/master/schema.ts', out: './master-migrations' },
  tenant: { schema: './src/tenant-database/schema.ts', out: './tenant-migrations' },
} as const

const name = process.env.DRIZZLE_TARGET ?? 'master'
if (name !== 'master' && name !== 'tenant') throw new Error('DRIZZLE_TARGET must be "master" or "tenant"')

export default defineConfig({ dialect: 'postgresql', ...targets[name] })
