// Deferred request loggers write exactly the lines pino's children would, and make no child for a request that logs
// nothing; a tenant request's lines still carry its request id and its tenant.
import { Writable } from 'node:stream'
import { pino } from 'pino'
import t from 'tap'
import { deferredChildLogger } from '../../src/http/request-logger.ts'
import { createLogger } from '../../src/logging.ts'
import { bearer, buildTestApp, adminToken, createTenant } from '../helpers/app.ts'

function capture () {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const { time: _time, pid: _pid, hostname: _hostname, ...rest } = JSON.parse(line) as Record<string, unknown>
        lines.push(rest)
      }
      done()
    },
  })
  return { lines, stream }
}

t.test('the same lines as pino children, at every level, with nested bindings and redaction', async (t) => {
  for (const level of ['trace', 'info', 'warn', 'error', 'silent']) {
    const real = capture()
    const deferred = capture()
    const logAll = (logger: ReturnType<typeof createLogger> | ReturnType<typeof deferredChildLogger>) => {
      logger.trace('trace line')
      logger.debug({ n: 1 }, 'debug line')
      logger.info({ password: 'hunter2', n: 2 }, 'info line %s', 'formatted')
      logger.warn('warn line')
      logger.error({ err: new Error('boom') }, 'error line')
      logger.fatal('fatal line')
    }
    const realRoot = createLogger(level, real.stream)
    logAll(realRoot.child({ reqId: 'r1' }).child({ tenant: 'acme' }))
    const deferredRoot = createLogger(level, deferred.stream)
    const request = deferredChildLogger(deferredRoot, { reqId: 'r1' }, {})
    logAll(request.child({ tenant: 'acme' }))
    // Error stacks differ by the line that made them.
    const comparable = (lines: Array<Record<string, unknown>>) =>
      lines.map((line) => ({ ...line, err: (line.err as { message?: string } | undefined)?.message }))
    t.same(comparable(deferred.lines), comparable(real.lines), `level ${level}: ${real.lines.length} lines alike`)
    t.equal(request.level, level, 'the level is the root\'s')
  }
})

t.test('a request that logs nothing makes no pino child', async (t) => {
  let children = 0
  const { lines, stream } = capture()
  const root = pino({ level: 'warn', onChild: () => { children++ } }, stream)
  const request = deferredChildLogger(root, { reqId: 'r1' }, {}).child({ tenant: 'acme' })
  request.info({ req: {} }, 'incoming request')
  request.debug('not enabled either')
  t.equal(children, 0, 'nothing logged: no child made')
  request.warn('now something')
  t.equal(children, 2, 'the first line makes the request\'s child and the tenant\'s')
  request.error('and again')
  t.equal(children, 2, 'once')
  t.match(lines, [{ reqId: 'r1', tenant: 'acme', msg: 'now something' }, { reqId: 'r1', tenant: 'acme', msg: 'and again' }])
})

t.test('a tenant request\'s lines carry its request id and tenant', async (t) => {
  const { lines, stream } = capture()
  const app = await buildTestApp(t, { RATE_LIMIT_MAX: '100000' }, { log: createLogger('info', stream) })
  const tenant = await createTenant(app, await adminToken(app))
  const response = await app.inject({ method: 'GET', url: '/api/v1/notes/00000000-0000-4000-8000-000000000000', headers: bearer(tenant.token) })
  t.equal(response.statusCode, 404)
  const logged = lines.filter((line) => line.status === 404)
  t.equal(logged.length, 1, 'the 404 is logged')
  t.match(logged[0], { reqId: String, tenant: tenant.slug, code: 'NOT_FOUND' })
})
