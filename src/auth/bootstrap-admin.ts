// Creates the platform admin at start-up when there is none: from ADMIN_EMAIL/ADMIN_PASSWORD, or generated and printed once.
import { randomBytes } from 'node:crypto'
import { ConfigError } from '../config.ts'
import type { UsersRepository } from '../master/users-repository.ts'
import { checkPasswordPolicy, hashPassword } from './passwords.ts'

export interface BootstrapResult {
  email: string
  /** Set only when the password was generated: the caller shows it once. */
  generatedPassword?: string
}

/** ADMIN_EMAIL and ADMIN_PASSWORD, when given. */
export interface AdminCredentials { email?: string, password?: string }

export async function bootstrapPlatformAdmin (users: UsersRepository, admin: AdminCredentials): Promise<BootstrapResult | undefined> {
  if ((await users.countWithRole(null, 'platform_admin')) > 0) return undefined
  const email = admin.email ?? 'admin@localhost'
  const generatedPassword = admin.password === undefined ? randomBytes(18).toString('base64url') : undefined
  const password = admin.password ?? (generatedPassword as string)
  try {
    checkPasswordPolicy(password, [email])
  } catch (error) {
    // A setting to change, said in one line like any other bad setting, not a stack trace.
    if (admin.password !== undefined && error instanceof Error) throw new ConfigError(`ADMIN_PASSWORD is refused: ${error.message}`)
    throw error
  }
  const created = await users.create({ tenantId: null, email, name: 'Platform admin', passwordHash: await hashPassword(password), role: 'platform_admin' })
  // Another instance bootstrapped at the same moment: theirs stands.
  if (created === undefined) return undefined
  return { email, generatedPassword }
}
