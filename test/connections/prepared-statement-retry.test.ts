// A prepared statement whose plan a schema change invalidated ("cached plan must not change result type", or one the
// session no longer has) is parsed again and run once more by postgres.js. As released (3.4.9), that retry described
// the statement first and sent its Bind only after the description came back, while the queries pipelined behind it
// on the connection had already gone out: their replies were read as its own. patches/postgres+3.4.9.patch sends the
// retry in one write. First the driver alone, then through the app, as a deploy that changes a column type does it.
import t from 'tap'
import postgres from 'postgres'
import { adminToken, bearer, buildTestApp, createTenant } from '../helpers/app.ts'
import { createDatabase, withAdmin } from '../helpers/database.ts'
import { problemFrom } from '../../src/http/schemas/problem.ts'
import { isStatementStale } from '../../src/postgres-errors.ts'

type Row = Record<string, unknown>

t.test('queries pipelined behind a retried statement get their own rows', async (t) => {
  const database = await createDatabase('retry')
  t.teardown(() => database.drop())
  const admin = postgres(database.url, { max: 1, onnotice: () => {} })
  t.teardown(() => admin.end({ timeout: 1 }))
  await admin.unsafe(`create table t (id int primary key, v timestamptz not null default now(), secret text not null);
    insert into t (id, secret) select g, 'secret of ' || g from generate_series(1, 60) g`)
  const sql = postgres(database.url, { max: 2, onnotice: () => {} })
  t.teardown(() => sql.end({ timeout: 1 }))
  // Three statements over the changed column, with parameters (the case that was described before it was bound).
  const statements = [
    (id: number) => sql.unsafe<Row[]>('select id, secret, v from t where id = $1', [id], { prepare: true }),
    (id: number) => sql.unsafe<Row[]>('select secret, v, id from t where id = $1 and v is not null', [id], { prepare: true }),
    (id: number) => sql.unsafe<Row[]>('select v, id, secret from t where id = $1 and $2::int > 0', [id, 1], { prepare: true }),
  ]
  const outcome = async (statement: number, id: number): Promise<string> => {
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<string>((resolve) => { timer = setTimeout(resolve, 5000, 'never settled') })
    const answer = (statements[statement] as (id: number) => Promise<Row[]>)(id).then(
      (rows) => rows.length === 1 && rows[0]?.id === id && rows[0]?.secret === `secret of ${id}` && rows[0]?.v instanceof Date
        ? 'its own row'
        : `wrong: ${JSON.stringify(rows)}`,
      // The one failure allowed: the statement's own error, when another query awaited its description (see the patch).
      (error: Error) => isStatementStale(error) ? 'stale' : `error: ${error.message}`)
    try {
      return await Promise.race([answer, deadline])
    } finally {
      clearTimeout(timer)
    }
  }
  // Every statement prepared on both connections.
  for (let i = 0; i < 12; i++) t.equal(await outcome(i % 3, i + 1), 'its own row')

  await admin`alter table t alter column v type timestamptz(3)`
  // Sixty at once on two connections: most are pipelined behind one that fails and is retried.
  const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => outcome(i % 3, i + 1)))
  const answered = (results: string[]) => results.filter((result) => result === 'its own row').length
  t.same(outcomes.filter((result) => result !== 'its own row' && result !== 'stale'), [], 'no query got another\'s rows, none hung')
  t.ok(answered(outcomes) >= 55, `${answered(outcomes)} of 60 answered, the rest told to retry`)

  // And the connections are in step afterwards.
  t.same(await Promise.all(Array.from({ length: 6 }, (_, i) => outcome(i % 3, 60 - i))), Array(6).fill('its own row'))
  // The statement a session has lost (DEALLOCATE ALL, as a pooler's reset does) is retried the same way.
  await Promise.all([sql`deallocate all`, sql`deallocate all`])
  const afterLoss = await Promise.all(Array.from({ length: 30 }, (_, i) => outcome(i % 3, i + 1)))
  t.same(afterLoss.filter((result) => result !== 'its own row' && result !== 'stale'), [], 'after a lost statement too')
  t.ok(answered(afterLoss) >= 27, `${answered(afterLoss)} of 30 answered`)
  const next = await Promise.all(Array.from({ length: 30 }, (_, i) => outcome(i % 3, i + 1)))
  t.same(next.filter((result) => result !== 'its own row' && result !== 'stale'), [], 'and the next burst')
  // One at a time, nothing is pipelined with a retry: every statement answers.
  const alone: string[] = []
  for (let i = 0; i < 9; i++) alone.push(await outcome(i % 3, i + 1))
  t.same(alone, Array(9).fill('its own row'), 'then every one')
})

t.test('a retried statement binds its arguments as they were, and a cursor behind it keeps its own rows', async (t) => {
  const database = await createDatabase('rebind')
  t.teardown(() => database.drop())
  const admin = postgres(database.url, { max: 1, onnotice: () => {} })
  t.teardown(() => admin.end({ timeout: 1 }))
  await admin.unsafe('create table t (id serial primary key, flag bool not null, doc jsonb, bin bytea, v timestamptz default now())')
  const sql = postgres(database.url, { max: 1, onnotice: () => {} })
  t.teardown(() => sql.end({ timeout: 1 }))
  const insert = () => sql<Row[]>`insert into t (flag, doc, bin) values (${true}, ${sql.json({ a: 1 })}, ${Buffer.from([1, 2])}) returning flag, doc, bin`
  const inserted = (rows: Row[]) => ({ flag: rows[0]?.flag, doc: rows[0]?.doc, bin: [...(rows[0]?.bin as Buffer)] })
  const expected = { flag: true, doc: { a: 1 }, bin: [1, 2] }
  t.same(inserted(await insert()), expected, 'prepared')
  await sql`deallocate all`
  // As released, the retry serialized the already serialized arguments again: true became false, JSON was encoded twice.
  t.same(inserted(await insert()), expected, 'retried: the same values stored')
  const flagged = () => sql<Row[]>`select flag from t where flag = ${true} and v is not null`
  t.equal((await flagged()).length, 2)
  await admin.unsafe('alter table t alter column v type timestamptz(3)')
  t.same((await flagged()).map((row) => row.flag), [true, true], 'retried after the type change: the rows asked for')

  // A cursor written behind a query that is then retried: the retry would take its portal, so that query fails instead.
  const cursorRows: Row[][] = []
  const behind = flagged()
  const cursor = sql<Row[]>`select id from t where flag = ${true} order by id`.cursor(1, (rows) => { cursorRows.push([...rows]) })
  await admin.unsafe('alter table t alter column v type timestamptz(6)')
  const [first] = await Promise.allSettled([behind, cursor])
  t.ok(first.status === 'fulfilled' ? first.value.length === 2 : isStatementStale(first.reason), 'the query retried or told to retry')
  t.same(cursorRows.map((rows) => rows.map((row) => row.id)), [[1], [2]], 'the cursor got its own rows')
  t.same((await flagged()).length, 2, 'and the connection is in step')
})

t.test('a tenant and the master keep answering through a migration that changes a column type', async (t) => {
  const app = await buildTestApp(t, { POOL_MAX_CONNECTIONS_PER_TENANT: '2', REQUEST_TIMEOUT: '5s', RATE_LIMIT_MAX: '100000' })
  const tenant = await createTenant(app, await adminToken(app))
  const headers = bearer(tenant.token)
  const created = await app.inject({ method: 'POST', url: '/api/v1/categories', headers, payload: { name: 'kept' } })
  t.equal(created.statusCode, 201)
  const names = async () => (await app.inject({ method: 'GET', url: '/api/v1/categories', headers })).json().data
    .map((category: { name: string }) => category.name).sort()
  const before = await names()
  // Each answer: its status, and for a 503 what kind (only "the schema changed, retry" is allowed besides a 200).
  const burst = async (url: string) => Promise.all(Array.from({ length: 24 }, async () => {
    const response = await app.inject({ method: 'GET', url, headers })
    return response.statusCode === 200 ? 200 : `${response.statusCode} ${response.json().type}`
  }))
  const allowed = (answers: Array<number | string>) => answers.filter((answer) => answer !== 200 && answer !== '503 urn:tenancy:problem:schema-changed')
  const ok = (answers: Array<number | string>) => answers.filter((answer) => answer === 200).length
  t.same([...new Set(await burst('/api/v1/categories'))], [200], 'warm: the tenant\'s statements prepared')
  t.same([...new Set(await burst('/api/v1/users/me'))], [200], 'warm: the master\'s')

  // What a migration `varchar(200) -> varchar(300)` (or any type change of a returned column) does to warm sessions.
  await withAdmin((sql) => sql`alter table categories alter column name type varchar(300)`, `tenant_${tenant.slug}`)
  await withAdmin((sql) => sql`alter table users alter column name type varchar(300)`, app.masterDatabaseName)
  for (const url of ['/api/v1/categories', '/api/v1/users/me']) {
    const answers = await burst(url)
    t.same(allowed(answers), [], `${url}: every request of the burst after the change answered, or told to retry`)
    t.ok(ok(answers) >= 20, `${url}: ${ok(answers)} of 24 answered`)
    t.same([...new Set(await burst(url))], [200], `${url}: then every one`)
  }
  t.same(await names(), before, 'with the right rows')
  t.ok(before.includes('kept'))
})

t.test('a statement that still fails on a stale plan is a 503 to retry, not a 500', async (t) => {
  const database = await createDatabase('stale')
  t.teardown(() => database.drop())
  const sql = postgres(database.url, { max: 1, onnotice: () => {} })
  t.teardown(() => sql.end({ timeout: 1 }))
  // The errors PostgreSQL itself gives: a statement the session does not have, and a plan whose result type changed.
  const lost = await sql.unsafe('execute no_such_statement').catch((error: Error) => error)
  await sql.unsafe('create table t (v varchar(10)); insert into t values (\'a\'); prepare listed as select v from t')
  await sql.unsafe('alter table t alter column v type varchar(20)')
  const changed = await sql.unsafe('execute listed').catch((error: Error) => error)
  for (const error of [lost, changed]) {
    const problem = problemFrom(error as Error)
    t.match(problem, { status: 503, type: 'urn:tenancy:problem:schema-changed' }, (error as Error).message)
    t.notMatch(problem.detail, /listed|no_such|varchar/, 'nothing of the SQL shown')
  }
  t.equal(problemFrom(Object.assign(new Error('x'), { code: '0A000' })).status, 500, 'another 0A000 is not taken for one')
})
