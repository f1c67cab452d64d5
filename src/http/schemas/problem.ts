// The RFC 7807 problem document: its schema (shared by every route's error responses) and how errors become one.
import { STATUS_CODES } from 'node:http'
import { Type, type Static } from 'typebox'
import { isDatabaseBusy, isDatabaseUnavailable, isStatementStale } from '../../postgres-errors.ts'

export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  instance: Type.Optional(Type.String()),
  errors: Type.Optional(Type.Array(Type.Object({ location: Type.String(), path: Type.String(), message: Type.String() }))),
}, { $id: 'Problem', description: 'An RFC 7807 problem document' })

export type ProblemDocument = Static<typeof Problem>

interface AnyError {
  statusCode?: number
  code?: string
  message: string
  validation?: Array<{ instancePath?: string, message?: string, params?: { missingProperty?: string, additionalProperty?: string } }>
  validationContext?: string
}

export function problemFrom (error: AnyError): ProblemDocument {
  const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
  if (error.validation !== undefined) {
    const location = error.validationContext ?? 'body'
    return {
      ...problemFor(400, 'validation-failed'),
      detail: `The request ${location} is not valid`,
      errors: error.validation.map((issue) => ({
        location,
        path: (issue.instancePath ?? '') + (issue.params?.missingProperty !== undefined ? `/${issue.params.missingProperty}` : ''),
        message: issue.message ?? 'is invalid',
      })),
    }
  }
  if (error.code === 'FST_ERR_HANDLER_TIMEOUT') {
    return { ...problemFor(503, 'REQUEST_TIMEOUT'), detail: 'The request did not finish within the time the server allows; retry shortly' }
  }
  if (status === 500 && isDatabaseBusy(error)) {
    return { ...problemFor(503, 'DATABASE_BUSY'), detail: 'The database did not answer within the time the server allows; retry shortly' }
  }
  if (status === 500 && isStatementStale(error)) {
    return { ...problemFor(503, 'SCHEMA_CHANGED'), detail: 'The database\'s schema changed while this request ran; retry it' }
  }
  if (status === 500 && isDatabaseUnavailable(error)) {
    return { ...problemFor(503, 'DATABASE_UNAVAILABLE'), detail: 'A database this request needs cannot be reached right now' }
  }
  // A 5xx never shows its message: it may carry SQL, hosts or other internals. Declared 503s are written for clients.
  const shown = status < 500 || (status === 503 && error.code !== undefined && !error.code.startsWith('FST_'))
  if (!shown) return { ...problemFor(status), detail: 'An unexpected error occurred' }
  return { ...problemFor(status, error.code), detail: error.message }
}

/** `type` is a URN naming the error's code when there is one, else `about:blank` as RFC 7807 suggests. */
export function problemFor (status: number, code?: string): Omit<ProblemDocument, 'detail'> {
  const type = code === undefined ? 'about:blank' : `urn:tenancy:problem:${code.replace(/^FST_ERR_/, '').toLowerCase().replaceAll('_', '-')}`
  return { type, title: STATUS_CODES[status] ?? 'Error', status }
}
