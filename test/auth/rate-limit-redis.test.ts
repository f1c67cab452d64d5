// Rate limits with REDIS_URL: one count across instances; while Redis is unreachable, each instance counts on its own.
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import t from 'tap'
import { adminToken, bearer, buildAnotherApp, buildTestApp, createTenant } from '../helpers/app.ts'
import { freePort } from '../helpers/free-port.ts'

const redisUrl = process.env.TEST_REDIS_URL

const categories = (app: FastifyInstance, token: string) => app.inject({ method: 'GET', url: '/api/v1/categories', headers: bearer(token) })

const failedLogin = (app: FastifyInstance, email: string, tenant: string, remoteAddress = `10.${randomBytes(3).join('.')}`) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress, payload: { email, password: 'wrong password!', tenant } })

t.test('with Redis unreachable, each instance still enforces the limits and keeps serving', async (t) => {
  const app = await buildTestApp(t, { REDIS_URL: `redis://127.0.0.1:${await freePort()}`, RATE_LIMIT_MAX: '4', LOGIN_RATE_LIMIT_MAX: '2' })
  const tenant = await createTenant(app, await adminToken(app))

  const codes = []
  for (let i = 0; i < 5; i++) codes.push((await categories(app, tenant.token)).statusCode)
  t.same(codes, [200, 200, 200, 200, 429], 'the per-tenant limit holds in memory')

  const logins = []
  for (let i = 0; i < 3; i++) logins.push((await failedLogin(app, tenant.ownerEmail, tenant.slug, '10.9.9.9')).statusCode)
  t.same(logins, [401, 401, 429], 'so do the failed-login limits')
})

t.test('with Redis, two instances share one count', { skip: redisUrl === undefined && 'no Redis: set TEST_REDIS_URL or put redis-server on PATH' }, async (t) => {
  const first = await buildTestApp(t, { REDIS_URL: redisUrl as string, RATE_LIMIT_MAX: '4', LOGIN_RATE_LIMIT_MAX: '3' })
  const second = await buildAnotherApp(t, first)
  const redis = new Redis(redisUrl as string)
  t.teardown(() => redis.quit())
  const tenant = await createTenant(first, await adminToken(first))

  await t.test('requests of one tenant, spread over both instances', async (t) => {
    const codes = []
    for (const app of [first, second, first, second, first, second]) codes.push((await categories(app, tenant.token)).statusCode)
    t.same(codes, [200, 200, 200, 200, 429, 429])
  })

  await t.test('failed logins to one account from one address, spread over both instances', async (t) => {
    const address = `10.${randomBytes(3).join('.')}`
    const codes = []
    for (const app of [first, second, first, second]) {
      codes.push((await failedLogin(app, tenant.ownerEmail, tenant.slug, address)).statusCode)
    }
    t.same(codes, [401, 401, 401, 429])
    const account = `${tenant.slug}:${tenant.ownerEmail}`
    t.equal(await redis.get(`tenancy:rate-limit:login:account-address:${account}:${address}`), '3', 'counted in Redis, under the namespace')
    t.equal(await redis.get(`tenancy:rate-limit:login:account:${account}`), '3', 'the account-wide count is shared too')
    t.ok(await redis.pttl(`tenancy:rate-limit:login:account-address:${account}:${address}`) > 0, 'and expiring with the window')
  })
})
