// Outside production, secrets that were not configured are generated once and kept in the data directory.
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Config, ResolvedConfig } from './config.ts'

interface StoredSecrets {
  jwtSecret: string
  tenantDbSecret: string
  embeddedPostgresPassword: string
}

/** Reads `<dataDir>/secrets.json`, creating it (mode 0600) with fresh random values on first use. */
export async function loadStoredSecrets (dataDir: string): Promise<StoredSecrets> {
  const file = join(dataDir, 'secrets.json')
  const stored: Partial<StoredSecrets> = await readFile(file, 'utf8').then((text) => JSON.parse(text) as Partial<StoredSecrets>, () => ({}))
  const secrets: StoredSecrets = {
    jwtSecret: stored.jwtSecret ?? randomSecret(),
    tenantDbSecret: stored.tenantDbSecret ?? randomSecret(),
    embeddedPostgresPassword: stored.embeddedPostgresPassword ?? randomSecret(),
  }
  if (Object.keys(stored).length !== Object.keys(secrets).length) {
    await mkdir(dataDir, { recursive: true })
    await writeFile(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 })
  }
  return secrets
}

export async function resolveSecrets (config: Config): Promise<ResolvedConfig> {
  const { jwtSecret, tenantDbSecret } = config
  if (jwtSecret !== undefined && tenantDbSecret !== undefined) return { ...config, jwtSecret, tenantDbSecret }
  const stored = await loadStoredSecrets(config.dataDir)
  return { ...config, jwtSecret: jwtSecret ?? stored.jwtSecret, tenantDbSecret: tenantDbSecret ?? stored.tenantDbSecret }
}

function randomSecret (): string {
  return randomBytes(32).toString('base64url')
}
