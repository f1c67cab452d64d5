// How a database server is shown to the platform admin (never its credentials), and what may be sent about one.
import { Type } from 'typebox'
import { SERVER_NAME_PATTERN } from '../../servers/servers-service.ts'
import { OrNull } from './common.ts'

export const ServerName = Type.String({ minLength: 1, maxLength: 40, pattern: SERVER_NAME_PATTERN, description: 'a lowercase letter, then up to 39 lowercase letters, digits, "_" or "-"' })
export const ServerParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) })

const Count = Type.Integer({ minimum: 1, maximum: 1_000_000 })

export const ServerResponse = Type.Object({
  name: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('draining')]),
  host: Type.String(),
  port: Type.Integer(),
  tenants: Type.Integer(),
  max_tenants: OrNull(Type.Integer()),
  connection_budget: Type.Integer(),
  connections_in_use: OrNull(Type.Integer()),
  version: OrNull(Type.String()),
  reachable: Type.Boolean(),
})

export const AddServer = Type.Object({
  name: ServerName,
  url: Type.String({ minLength: 12, maxLength: 2000, pattern: '^postgres(ql)?://', description: 'an admin URL: its role may CREATE DATABASE and CREATE ROLE' }),
  max_tenants: Type.Optional(Type.Union([Type.Null(), Count])),
  connection_budget: Type.Optional(Type.Union([Type.Null(), Count])),
}, { additionalProperties: false })

export const ChangeServer = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('draining')])),
  max_tenants: Type.Optional(Type.Union([Type.Null(), Count])),
  connection_budget: Type.Optional(Type.Union([Type.Null(), Count])),
}, { additionalProperties: false, minProperties: 1 })
