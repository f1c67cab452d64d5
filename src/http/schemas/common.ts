// TypeBox pieces every route shares: ids, pagination, list envelopes and problem responses.
import { Type, type Static, type TInteger, type TSchema, type TString } from 'typebox'
import { InvalidCursorError } from '../../errors.ts'
import { decodeCursor, type Keyset } from '../../pagination.ts'

export const Uuid = Type.String({ format: 'uuid' })
export const Timestamp = Type.String({ format: 'date-time' })
export const IdParams = Type.Object({ id: Uuid })

export const ListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
})

/**
 * A response value that may also be null, as one list of types: fast-json-stringify writes it after a `typeof` test,
 * where an anyOf costs an ajv validation per value (and, for a null, the errors of the branch it failed).
 * @fastify/swagger shows it as OpenAPI 3.0's `nullable`. Bodies keep their anyOf: see NoteFields.
 */
export function OrNull<T extends TString | TInteger> (schema: T) {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] })
}

export function List<T extends TSchema> (item: T) {
  return Type.Object({ data: Type.Array(item), next_cursor: OrNull(Type.String()) })
}

const ProblemRef = Type.Ref('Problem')

/** Problem responses for the OpenAPI document (and serialization) of a route. */
export function problems (...statuses: number[]): Record<number, typeof ProblemRef> {
  return Object.fromEntries(statuses.map((status) => [status, ProblemRef]))
}

export function parseCursor (cursor: string | undefined): Keyset | undefined {
  if (cursor === undefined) return undefined
  const position = decodeCursor(cursor)
  if (position === undefined) throw new InvalidCursorError()
  return position
}

export const bearer = [{ bearer: [] }]

/** The problems any tenant-scoped route may answer, besides its own. */
export const TENANT_ERRORS = [401, 403, 404, 429, 503]
