// How input is validated, for every route and the CLI alike: bodies are taken as sent (a number where a string is
// declared is a 400, not "12"), while query strings and path parameters, text by nature, are coerced. And every string
// a client sends, anywhere, must be valid Unicode without NUL; every number must be finite.
import { AjvCompiler } from '@fastify/ajv-compiler'
import type { Ajv } from 'ajv'
import type { FastifySchema, FastifyServerOptions } from 'fastify'

const TEXT = 'x-text'
const FINITE = 'x-finite'

/** A lone UTF-16 surrogate: what JSON's "\ud800" makes, and no encoding can store. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

export function isText (value: string): boolean {
  return !value.includes('\u0000') && !LONE_SURROGATE.test(value)
}

function keywords (ajv: Ajv): Ajv {
  ajv.addKeyword({
    keyword: TEXT,
    type: 'string',
    schemaType: 'boolean',
    error: { message: 'must be valid Unicode text without NUL characters' },
    validate: (required: boolean, data: string) => !required || isText(data),
  })
  // No `type`: ajv skips every number keyword for a non-finite number, which is how a coerced "1e309" (Infinity)
  // passes `type: integer` and `maximum` (ajv-validator/ajv#2212, fastify/fastify#6718).
  ajv.addKeyword({
    keyword: FINITE,
    schemaType: 'boolean',
    error: { message: 'must be a finite number' },
    validate: (required: boolean, data: unknown) => !required || typeof data !== 'number' || Number.isFinite(data),
  })
  return ajv
}

/** A copy of the schema in which every string must be text and every number finite. */
function hardened (schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(hardened)
  if (schema === null || typeof schema !== 'object') return schema
  const copy: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) copy[key] = key === 'const' || key === 'default' || key === 'enum' ? value : hardened(value)
  const types = [copy.type].flat()
  if (types.includes('string')) copy[TEXT] = true
  if (types.includes('number') || types.includes('integer')) copy[FINITE] = true
  return copy
}

interface RouteSchema { schema: FastifySchema, method: string, url: string, httpPart?: string }
type Compile = (route: RouteSchema) => unknown
interface ValidatorOptions { customOptions?: object, plugins?: unknown[] }

type ValidatorFactory = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']>

/** For Fastify's `schemaController.compilersFactory.buildValidator`: Fastify's own ajv compiler, twice. */
export function buildValidator (): ValidatorFactory {
  // @fastify/ajv-compiler's declared types lag behind what Fastify hands it and takes back.
  const compilers = AjvCompiler() as unknown as (externalSchemas: unknown, options: ValidatorOptions) => Compile
  const factory = (externalSchemas: unknown, options: ValidatorOptions = {}): Compile => {
    const customOptions = { ...options.customOptions, removeAdditional: false, useDefaults: true, allErrors: false }
    const plugins = [...(options.plugins ?? []), keywords]
    const coercing = compilers(externalSchemas, { ...options, plugins, customOptions: { ...customOptions, coerceTypes: 'array' } })
    const exact = compilers(externalSchemas, { ...options, plugins, customOptions: { ...customOptions, coerceTypes: false } })
    return (route) => (route.httpPart === 'body' ? exact : coercing)({ ...route, schema: hardened(route.schema) as FastifySchema })
  }
  return factory as unknown as ValidatorFactory
}

interface CompiledValidator {
  (value: unknown): boolean
  errors?: Array<{ instancePath?: string, message?: string, parentSchema?: unknown }> | null
}

const compileBody = buildValidator() as unknown as (externalSchemas: unknown, options: ValidatorOptions) => Compile

/** The validator a route's body would get, for input that does not come over HTTP (the CLI). */
export function compileValidator (schema: unknown): CompiledValidator {
  const compile = compileBody({}, { customOptions: { verbose: true } })
  return compile({ schema: schema as FastifySchema, method: 'POST', url: '/', httpPart: 'body' }) as CompiledValidator
}
