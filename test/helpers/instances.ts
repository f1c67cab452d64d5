// More app instances on an existing master database (same secrets), as a multi-process deployment runs them.
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/http/app.ts'
import { createRuntime, type RuntimeOptions } from '../../src/runtime.ts'
import { testConfig } from './app.ts'

interface Teardown { teardown (fn: () => unknown): void }

/**
 * Builds another instance beside `first`, sharing its JWT and tenant database secrets; `url` defaults to the
 * master URL `first` was built with. Closed when the test ends.
 */
export async function anotherInstance (
  t: Teardown,
  first: FastifyInstance,
  env: Record<string, string> = {},
  url: string = first.config.databaseUrl,
  options: RuntimeOptions = {},
): Promise<FastifyInstance> {
  const config = { ...testConfig(url, env), jwtSecret: first.config.jwtSecret, tenantDbSecret: first.config.tenantDbSecret }
  const runtime = await createRuntime(config, options)
  t.teardown(() => runtime.close())
  const app = await buildApp(runtime, { logger: false })
  t.teardown(() => app.close())
  return app
}

/** `promise`'s value, or 'timeout' when it has not settled within `ms`: a request that would hang fails fast. */
export async function within<T> (promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => { resolve('timeout') }, ms) })
  try {
    return await Promise.race([promise, expired])
  } finally {
    clearTimeout(timer)
  }
}
