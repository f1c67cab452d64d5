// argon2id hashing at OWASP's recommended parameters, a password policy, and a hash to burn time on for unknown users.
import argon2 from 'argon2'
import { WeakPasswordError } from '../errors.ts'

/** OWASP Password Storage Cheat Sheet: argon2id, m = 19 MiB, t = 2, p = 1 (the minimum it recommends). */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const

export const MIN_PASSWORD_LENGTH = 10
const MAX_PASSWORD_LENGTH = 256

const COMMON = new Set([
  'password', 'password1', 'password12', 'password123', 'password1234', '1234567890', '0123456789', '12345678910',
  'qwertyuiop', 'qwerty1234', 'qwerty12345', 'iloveyou12', 'letmein123', 'welcome123', 'administrator', 'changeme123',
  'passw0rd123', 'abcdefghij', 'abc1234567', '1q2w3e4r5t', 'football12', 'baseball12', 'sunshine12', 'trustno1234',
])

/** Throws a 400 that says what is wrong; `context` (email, names) must not appear in the password. */
export function checkPasswordPolicy (password: string, context: Array<string | null | undefined> = []): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new WeakPasswordError(`The password must have at least ${MIN_PASSWORD_LENGTH} characters`)
  if (password.length > MAX_PASSWORD_LENGTH) throw new WeakPasswordError(`The password must have at most ${MAX_PASSWORD_LENGTH} characters`)
  const lower = password.toLowerCase()
  if (COMMON.has(lower) || new Set(lower).size <= 2) throw new WeakPasswordError('The password is too common or too easy to guess')
  for (const value of context) {
    const part = value?.toLowerCase().split('@')[0]
    if (part !== undefined && part.length >= 4 && lower.includes(part)) throw new WeakPasswordError('The password must not contain the email address or name')
  }
}

export function hashPassword (password: string): Promise<string> {
  return argon2.hash(password, OPTIONS)
}

export async function verifyPassword (hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password)
  } catch {
    return false
  }
}

let dummyHash: Promise<string> | undefined

/** Verifies against a throwaway hash, so a login for an unknown email costs what a real one costs. */
export async function burnPasswordCheck (password: string): Promise<void> {
  dummyHash ??= hashPassword('not-a-real-password-for-timing')
  await verifyPassword(await dummyHash, password)
}
