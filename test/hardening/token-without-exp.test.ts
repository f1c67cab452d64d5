// Proves that an access token without an expiry is refused, even when signed with the server's own key.
import { createHmac, randomUUID } from 'node:crypto'
import t from 'tap'
import { adminToken, bearer, buildTestApp, createTenant } from '../helpers/app.ts'

/** An HS256 JWT signed with `secret`, built by hand so that nothing adds an `exp`. */
function sign (claims: object, secret: string): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`
}

t.test('a correctly signed token for a real owner, but with no exp, gets 401', async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  const [owner] = await app.runtime.master.sql<{ id: string, tenant_id: string }[]>`
    select u.id, u.tenant_id from users u join tenants t on t.id = u.tenant_id where t.slug = ${tenant.slug} and u.role = 'owner'`
  // Every claim a current or future token carries (tid is the slug today; tenant_id is the id the fix adds).
  const claims = { sub: owner?.id, tid: tenant.slug, tenant_id: owner?.tenant_id, role: 'owner', ver: 0, jti: randomUUID(), iat: Math.floor(Date.now() / 1000) }
  const withExp = sign({ ...claims, exp: claims.iat + 600 }, app.config.jwtSecret)
  const withoutExp = sign(claims, app.config.jwtSecret)

  for (const url of ['/api/v1/notes', '/api/v1/users/me']) {
    const control = await app.inject({ method: 'GET', url, headers: bearer(withExp) })
    t.equal(control.statusCode, 200, `GET ${url} with the same claims and an exp: 200 (the token is otherwise valid)`)
    const response = await app.inject({ method: 'GET', url, headers: bearer(withoutExp) })
    t.equal(response.statusCode, 401, `GET ${url} with no exp: 401 (got ${response.statusCode})`)
  }
})
