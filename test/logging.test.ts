// Logged errors never carry query parameters: a failed insert of a user would otherwise log its password hash.
import { Writable } from 'node:stream'
import t from 'tap'
import { createLogger } from '../src/logging.ts'
import { buildTestApp } from './helpers/app.ts'

t.test('a failed query is logged with its SQL and the driver error, never its parameters', async (t) => {
  let logged = ''
  const stream = new Writable({ write (chunk, _encoding, done) { logged += String(chunk); done() } })
  const app = await buildTestApp(t, {}, { log: createLogger('info', stream) })
  const secret = '$argon2id$v=19$m=19456,t=2,p=1$c2VjcmV0LWhhc2gtbWFya2Vy'
  app.get('/explode', async () => {
    // A tenant id that does not exist: the foreign key fails and drizzle's error names every parameter.
    await app.runtime.master.users.create({ tenantId: '00000000-0000-4000-8000-000000000000', email: 'x@y.z', passwordHash: secret, role: 'member' })
  })
  const response = await app.inject({ method: 'GET', url: '/explode' })
  t.equal(response.statusCode, 500)
  t.match(logged, /insert into \\"users\\"/, 'the failing SQL is logged')
  t.match(logged, 'violates foreign key constraint', "the driver's error is logged")
  t.notMatch(logged, 'c2VjcmV0LWhhc2gtbWFya2Vy', 'the password hash parameter is not')
  t.notMatch(response.body, 'argon2')
})
