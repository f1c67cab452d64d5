// How a user is shown over HTTP: never its password hash (the response schema would strip it anyway).
import { Type } from 'typebox'
import type { User } from '../../master/schema.ts'
import { OrNull, Timestamp, Uuid } from './common.ts'

export const UserResponse = Type.Object({
  id: Uuid,
  email: Type.String(),
  name: OrNull(Type.String()),
  role: Type.Union([Type.Literal('platform_admin'), Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')]),
  tenant: OrNull(Type.String()),
  created_at: Timestamp,
})

export function userResponse (user: User, tenant: string | null) {
  return { id: user.id, email: user.email, name: user.name, role: user.role, tenant, created_at: user.createdAt.toISOString() }
}

export { DisplayName, Email, Password } from '../../fields.ts'
