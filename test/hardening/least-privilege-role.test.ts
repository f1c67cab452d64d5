// Proves the documented least-privilege role (CREATEDB CREATEROLE, not superuser) provisions; one without CREATEDB is refused at start-up.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { buildApp } from '../../src/http/app.ts'
import { createRuntime } from '../../src/runtime.ts'
import { templateNameFor } from '../../src/lifecycle/template.ts'
import { adminToken, bearer, login, randomSlug, STRONG_PASSWORD, testConfig } from '../helpers/app.ts'
import { databaseUrl, randomName, withAdmin } from '../helpers/database.ts'

interface Teardown { teardown (fn: () => unknown): void }

/** A role with exactly `attributes`, a master database it owns, and its URL; everything dropped when the test ends. */
async function roleWithMaster (t: Teardown, attributes: string, slugs: string[]) {
  const role = `r_${randomBytes(5).toString('hex')}`
  const password = randomBytes(12).toString('hex')
  const master = randomName('master')
  await withAdmin(async (sql) => {
    await sql.unsafe(`create role ${role} with login ${attributes} password '${password}'`)
    await sql`create database ${sql(master)} owner ${sql(role)}`
  })
  t.teardown(() => withAdmin(async (sql) => {
    for (const slug of slugs) {
      await sql`drop database if exists ${sql(`tenant_${slug}`)} with (force)`
      await sql`drop role if exists ${sql(`tenant_${slug}`)}`
    }
    await sql`drop database if exists ${sql(templateNameFor(master))} with (force)`
    await sql`drop database if exists ${sql(master)} with (force)`
    await sql.unsafe(`drop owned by ${role}`)
    await sql.unsafe(`drop role if exists ${role}`)
  }))
  const url = new URL(databaseUrl(master))
  url.username = role
  url.password = password
  return url.toString()
}

t.test('a CREATEDB CREATEROLE role (not superuser) runs the app and provisions tenants', async (t) => {
  const slug = randomSlug()
  const url = await roleWithMaster(t, 'nosuperuser createdb createrole', [slug])
  const runtime = await createRuntime(testConfig(url))
  t.teardown(() => runtime.close())
  const app = await buildApp(runtime, { logger: false })
  t.teardown(() => app.close())

  const admin = await adminToken(app)
  const ownerEmail = `owner@${slug}.test`
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/tenants',
    headers: bearer(admin),
    payload: { slug, name: 'Least privilege', owner: { email: ownerEmail, password: STRONG_PASSWORD } },
  })
  t.equal(created.statusCode, 201, `POST /tenants: ${created.body}`)
  const { response, tokens } = await login(app, { email: ownerEmail, password: STRONG_PASSWORD, tenant: slug })
  t.equal(response.statusCode, 200, 'the owner logs in')
  const note = await app.inject({ method: 'POST', url: '/api/v1/notes', headers: bearer(tokens.access_token), payload: { title: 'hello', content: 'from a least-privilege deployment' } })
  t.equal(note.statusCode, 201, `the owner creates a note: ${note.body}`)
})

t.test('a role without CREATEDB is refused at start-up with a message naming the privilege', async (t) => {
  const url = await roleWithMaster(t, 'nosuperuser nocreatedb createrole', [])
  let started: Awaited<ReturnType<typeof buildApp>> | undefined
  const error = await createRuntime(testConfig(url)).then(async (runtime) => {
    t.teardown(() => runtime.close())
    started = await buildApp(runtime, { logger: false })
    return undefined
  }, (error: unknown) => error as Error)
  t.teardown(() => started?.close())
  t.ok(error, 'building the app rejects')
  t.match(error?.message ?? '', /CREATEDB/, 'the error names the missing CREATEDB privilege')
  if (started !== undefined) {
    const admin = await adminToken(started)
    const slug = randomSlug()
    const created = await started.inject({ method: 'POST', url: '/api/v1/tenants', headers: bearer(admin), payload: { slug, name: 'Never', owner: { email: `o@${slug}.test`, password: STRONG_PASSWORD } } })
    t.comment(`instead, the app started and POST /tenants answered ${created.statusCode}`)
  }
})
