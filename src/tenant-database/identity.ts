// A tenant's database name, login role and password, all derived from its slug: nothing secret is stored.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto'

/** 3–40 characters: a lowercase letter, then lowercase letters, digits or `_`. Safe as part of an SQL identifier. */
export const SLUG_PATTERN = '^[a-z][a-z0-9_]{2,39}$'
const SLUG = new RegExp(SLUG_PATTERN)

export function isValidSlug (slug: string): boolean {
  return SLUG.test(slug)
}

function assertSlug (slug: string): void {
  // Everything below ends up in SQL as an identifier, so a slug that is not valid never gets that far.
  if (!isValidSlug(slug)) throw new TypeError(`invalid tenant slug: ${JSON.stringify(slug).slice(0, 50)}`)
}

export function tenantDatabaseName (slug: string): string {
  assertSlug(slug)
  return `tenant_${slug}`
}

/** The login role that owns the tenant's database and is the only one its pool connects as. */
export function tenantRoleName (slug: string): string {
  assertSlug(slug)
  return `tenant_${slug}`
}

/** HMAC of the slug under the server secret: recomputable by every instance, never written anywhere. */
export function tenantRolePassword (secret: string, slug: string): string {
  assertSlug(slug)
  return createHmac('sha256', secret).update(`tenant-role:${slug}`).digest('base64url')
}

/**
 * PBKDF2 rounds in a tenant role's SCRAM verifier. Rounds slow down guessing a weak password from a stolen
 * verifier; a tenant role's password is a 256-bit HMAC, beyond guessing at any count. PostgreSQL's default of 4096
 * would only add ~2 ms of client CPU to every connection a pool opens, on the event loop (postgres.js runs
 * pbkdf2Sync): a quarter of the process's time when tenants churn (bench/many-tenants).
 */
export const TENANT_SCRAM_ITERATIONS = 1

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802/7677), computed here so
 * that `CREATE ROLE … PASSWORD` never carries the password itself into the server's statement log.
 */
export function scramVerifier (password: string, salt = randomBytes(16)): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, TENANT_SCRAM_ITERATIONS, 32, 'sha256')
  const clientKey = createHmac('sha256', salted).update('Client Key').digest()
  const storedKey = createHash('sha256').update(clientKey).digest()
  const serverKey = createHmac('sha256', salted).update('Server Key').digest()
  return `SCRAM-SHA-256$${TENANT_SCRAM_ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`
}
