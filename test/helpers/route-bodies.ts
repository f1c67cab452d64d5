// Every route of the app, read from its own OpenAPI document, with a valid caller and URL for each, and its body schema.
import { randomBytes, randomUUID } from 'node:crypto'
import { SLUG_PATTERN } from '../../src/tenant-database/identity.ts'
import { adminToken, bearer, createTenant, type TestApp } from './app.ts'

type Schema = Record<string, unknown>

export interface BodyRoute {
  method: string
  /** With path parameters filled by a row the caller can see. */
  url: string
  headers: Record<string, string>
  schema: Schema
}

/** Any route of the app, with a caller and URL as for `bodyRoutes`; `schema` is absent for a route without a body. */
export type RouteCall = Omit<BodyRoute, 'schema'> & { schema?: Schema }

/** A fresh valid value for the schema (new emails and slugs each call); strings name their field, so they differ. */
export function exampleFor (schema: Schema, key = 'value'): unknown {
  if (Array.isArray(schema.enum)) return schema.enum[0]
  if (Array.isArray(schema.anyOf)) return exampleFor(schema.anyOf[0] as Schema, key)
  if (schema.nullable === true && schema.format === 'uuid') return null
  switch (schema.type) {
    case 'object': return Object.fromEntries(Object.entries((schema.properties ?? {}) as Record<string, Schema>).map(([name, value]) => [name, exampleFor(value, name)]))
    case 'integer':
    case 'number': return typeof schema.minimum === 'number' ? schema.minimum : 1
    case 'boolean': return true
    case 'string':
      if (schema.format === 'uuid') return randomUUID()
      if (schema.pattern === SLUG_PATTERN) return `s${randomBytes(5).toString('hex')}`
      if (typeof schema.pattern === 'string' && schema.pattern.includes('@')) return `sweep${randomBytes(3).toString('hex')}@example.test`
      return `${key} value ${randomBytes(3).toString('hex')}`
    default: return null
  }
}

/** Paths (lists of keys) of every string field of a body schema, nested objects included. */
export function stringFields (schema: Schema, path: string[] = []): string[][] {
  if (schema.type === 'object') {
    const properties = (schema.properties ?? {}) as Record<string, Schema>
    return Object.entries(properties).flatMap(([name, value]) => stringFields(value, [...path, name]))
  }
  const isString = schema.type === 'string' || (Array.isArray(schema.anyOf) && (schema.anyOf as Schema[]).some((option) => option.type === 'string'))
  return isString ? [path] : []
}

/** A copy of `body` with the field at `path` set to `value`. */
export function withField (body: unknown, path: string[], value: unknown): unknown {
  const copy = structuredClone(body) as Record<string, unknown>
  let target = copy
  for (const key of path.slice(0, -1)) target = target[key] as Record<string, unknown>
  target[path[path.length - 1] as string] = value
  return copy
}

/**
 * A tenant (with a category, a note and a member), the platform admin, and every body route of the app: each gets
 * the first caller and row for which a GET of the same URL answers 200 (routes with no GET, like login, get no token).
 */
export async function bodyRoutes (app: TestApp): Promise<BodyRoute[]> {
  return (await everyRoute(app)).filter((route): route is BodyRoute => route.schema !== undefined)
}

/** Every route of the app's OpenAPI document (so, every route it serves), with a caller, a URL and, where it takes one, its body schema. */
export async function everyRoute (app: TestApp): Promise<RouteCall[]> {
  const admin = await adminToken(app)
  const tenant = await createTenant(app, admin)
  const post = async (url: string, payload: object) => ((await app.inject({ method: 'POST', url, headers: bearer(tenant.token), payload })).json() as { id: string }).id
  const rows = [
    await post('/api/v1/categories', { name: 'a category' }),
    await post('/api/v1/notes', { title: 'a note' }),
    await post('/api/v1/users', { email: 'mo@member.test', password: 'sturdy passphrase 9' }),
    tenant.slug,
    // The default database server's name, for the /servers/:name routes.
    'default',
  ]
  const callers = [bearer(tenant.token), bearer(admin)]
  const doc = app.swagger() as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Schema }> } }>> }
  const routes: RouteCall[] = []
  for (const [path, operations] of Object.entries(doc.paths)) {
    const urls = path.includes('{') ? rows.map((row) => path.replace(/\{\w+\}/g, row)) : [path]
    let context: { url: string, headers: Record<string, string> } | undefined
    if (operations.get !== undefined) {
      for (const headers of callers) {
        for (const url of urls) {
          if (context === undefined && (await app.inject({ method: 'GET', url, headers })).statusCode === 200) context = { url, headers }
        }
      }
    }
    for (const [method, operation] of Object.entries(operations)) {
      const schema = operation.requestBody?.content['application/json']?.schema
      routes.push({
        method: method.toUpperCase(),
        ...(schema !== undefined && { schema }),
        ...(context ?? { url: urls[0] as string, headers: {} }),
      })
    }
  }
  return routes
}
