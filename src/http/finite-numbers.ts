// An ajv keyword rejecting non-finite numbers: with type coercion, "1e309" becomes Infinity and passes
// `type: integer` and `maximum` (ajv-validator/ajv#2212, fastify/fastify#6718). Numeric request fields carry it.
import type { Ajv } from 'ajv'

export const FINITE = 'x-finite'

export function finiteNumbers (ajv: Ajv): Ajv {
  return ajv.addKeyword({
    keyword: FINITE,
    // No `type`: ajv skips every number keyword for a non-finite number, which is how Infinity gets through.
    schemaType: 'boolean',
    errors: false,
    validate: (required: boolean, data: unknown) => !required || typeof data !== 'number' || Number.isFinite(data),
  })
}
