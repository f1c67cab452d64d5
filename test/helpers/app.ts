// Builds the real application against a fresh master database and closes both when the test ends.
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.ts'
import { loadConfig, type ResolvedConfig } from '../../src/config.ts'
import { createDatabase } from './database.ts'

interface Teardown { teardown (fn: () => unknown): void }

export function testConfig (databaseUrl: string, env: Record<string, string> = {}): ResolvedConfig {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env })
  return {
    ...config,
    databaseUrl,
    jwtSecret: config.jwtSecret ?? randomBytes(32).toString('hex'),
    tenantDbSecret: config.tenantDbSecret ?? randomBytes(32).toString('hex'),
  }
}

export async function buildTestApp (t: Teardown, env: Record<string, string> = {}): Promise<FastifyInstance & { masterDatabaseName: string }> {
  const master = await createDatabase('master')
  const app = await buildApp(testConfig(master.url, env), { logger: false })
  t.teardown(async () => {
    await app.close()
    await master.drop()
  })
  return Object.assign(app, { masterDatabaseName: master.name })
}
