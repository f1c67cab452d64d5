// The fields people send about tenants and users, defined once for the HTTP API and the CLI alike: a name is one line
// of text, an email looks like one, a slug is a slug. (Every string must also be text without NUL: see validation.ts.)
import { Type } from 'typebox'
import { BadRequestError } from './errors.ts'
import { SLUG_PATTERN } from './tenant-database/identity.ts'
import { compileValidator } from './validation.ts'

/** At least one visible character, and no control characters (newlines, terminal escapes): names are shown on one line. */
const ONE_LINE = '^[^\\p{Cc}]*[^\\p{Cc}\\s][^\\p{Cc}]*$'

export const Slug = Type.String({ minLength: 3, maxLength: 40, pattern: SLUG_PATTERN, description: 'a lowercase letter, then lowercase letters, digits or "_" (3-40 characters)' })
export const TenantName = Type.String({ minLength: 1, maxLength: 200, pattern: ONE_LINE, description: 'one line of text, up to 200 characters' })
export const DisplayName = Type.String({ minLength: 1, maxLength: 200, pattern: ONE_LINE, description: 'one line of text, up to 200 characters' })
export const Email = Type.String({ minLength: 3, maxLength: 254, pattern: '^[^@\\s\\p{Cc}]+@[^@\\s\\p{Cc}]+\\.[^@\\s\\p{Cc}]+$', description: 'an email address' })
export const Password = Type.String({ minLength: 1, maxLength: 256, description: 'At least 10 characters, not a common password' })

export const ProvisionFields = Type.Object({
  slug: Slug,
  name: TenantName,
  owner: Type.Object({ email: Email, password: Password, name: Type.Optional(DisplayName) }),
  /** A database server's name: without it, the placement policy picks one. */
  server: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'the name of a database server' })),
})

const provisionFields = compileValidator(ProvisionFields)

/** Throws a 400 naming the first field that is not right, as the HTTP API would refuse it. */
export function assertProvisionFields (value: unknown): void {
  if (provisionFields(value)) return
  const [issue] = provisionFields.errors ?? []
  const field = (issue?.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.') || 'request'
  const description = (issue?.parentSchema as { description?: string } | undefined)?.description
  throw new BadRequestError(`${field} must be ${description ?? issue?.message ?? 'valid'}`)
}
