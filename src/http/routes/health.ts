// Liveness (/health: the process serves) and readiness (/ready: the master database answers).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { MasterDatabaseUnavailableError } from '../../errors.ts'

const READY_TIMEOUT_MS = 2000

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const Status = Type.Object({ status: Type.String() })

  app.get('/health', {
    schema: { tags: ['health'], summary: 'Liveness', response: { 200: Status } },
  }, async () => ({ status: 'ok' }))

  app.get('/ready', {
    schema: { tags: ['health'], summary: 'Readiness: the master database answers', response: { 200: Status, 503: Type.Ref('Problem') } },
  }, async (request) => {
    try {
      await withTimeout(app.runtime.master.sql`select 1`.execute(), READY_TIMEOUT_MS)
    } catch (error) {
      request.log.warn({ err: error }, 'master database is not answering')
      throw new MasterDatabaseUnavailableError()
    }
    return { status: 'ok' }
  })
}

async function withTimeout<T> (promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`no answer within ${ms} ms`)) }, ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

export default healthRoutes
