// Fleet migrations at scale: `tenancy migrate` (the real command, its own process) over 1,000 tenant databases, with
// nothing pending, with one new migration pending everywhere, and with --verify (connecting to every tenant database,
// what a migrator that keeps no record of versions must do each deploy: the baseline). Wall time and peak RSS.
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import pLimit from 'p-limit'
import postgres from 'postgres'
import { tenantMigrations } from '../src/migrations/migrator.ts'
import { tenantDatabaseName } from '../src/tenant-database/identity.ts'
import { benchApp, provisionTenants, report, round, startServer } from './harness.ts'

const TENANTS = Number(process.env.FLEET_TENANTS ?? 1000)

interface Run { seconds: number, peakRssMiB: number, code: number | null, output: string }

/** Runs the CLI as a user would, sampling its peak resident memory (VmHWM) until it exits. */
function cli (args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const started = performance.now()
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: { ...process.env, ...env } })
    let output = ''
    let peak = 0
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
    const sampler = setInterval(() => {
      void readFile(`/proc/${child.pid}/status`, 'utf8').then((status) => {
        const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0)
        peak = Math.max(peak, kb)
      }, () => {})
    }, 20)
    child.on('exit', (code) => {
      clearInterval(sampler)
      resolve({ seconds: (performance.now() - started) / 1000, peakRssMiB: peak / 1024, code, output })
    })
  })
}

export async function run (): Promise<void> {
  const server = await startServer({ max_connections: 200 })
  const app = await benchApp(server.masterUrl)
  try {
    const provisionStarted = performance.now()
    const slugs = (await provisionTenants(app, TENANTS, 4)).map((tenant) => tenant.slug)
    const provisionSeconds = (performance.now() - provisionStarted) / 1000
    const config = app.config
    const env = { DATABASE_URL: server.masterUrl, JWT_SECRET: config.jwtSecret, TENANT_DB_SECRET: config.tenantDbSecret, LOG_LEVEL: 'warn' }
    const startup = await cli(['--help'], env)

    // One new migration everywhere: the last one un-applied (it is idempotent, so running it again is safe).
    const unapplyLast = async () => {
      await pLimit(8).map(slugs, async (slug) => {
        const sql = postgres(server.server.url(tenantDatabaseName(slug)), { max: 1, onnotice: () => {} })
        await sql`delete from drizzle.__drizzle_migrations where id = (select max(id) from drizzle.__drizzle_migrations)`
        await sql.end()
      })
      await app.runtime.master.sql`update tenants set schema_version = ${tenantMigrations.latestVersion - 1}`
    }

    const nothing = await cli(['migrate'], env)
    await unapplyLast()
    const one = await cli(['migrate', '--concurrency', '4'], env)
    const verify = await cli(['migrate', '--verify', '--concurrency', '4'], env)
    for (const [name, result] of [['nothing pending', nothing], ['one migration', one], ['--verify', verify]] as const) {
      if (result.code !== 0) throw new Error(`migrate (${name}) exited ${result.code}: ${result.output.slice(-500)}`)
    }
    const row = (label: string, result: Run, migrated: number) => ({
      run: label,
      seconds: round(result.seconds, 2),
      'seconds less start-up': round(result.seconds - startup.seconds, 2),
      'tenants/s': migrated === 0 ? '-' : round(migrated / (result.seconds - startup.seconds), 1),
      'peak RSS MiB': round(result.peakRssMiB, 0),
    })
    await report('fleet-migrate', [
      row('nothing pending (skips what the master records as current)', nothing, 0),
      row('one new migration on every tenant', one, TENANTS),
      row('--verify: connect to every tenant (baseline)', verify, TENANTS),
    ], {
      tenants: TENANTS,
      target: 'nothing pending under 2 s',
      'CLI start-up (tenancy --help)': `${round(startup.seconds, 2)} s`,
      'provisioning the fleet': `${round(provisionSeconds, 1)} s (${round(TENANTS / provisionSeconds, 1)} tenants/s)`,
      concurrency: 4,
    })
  } finally {
    await app.close()
    await server.close()
  }
}
