// What PostgreSQL pays when the same queries are spread over a pool per tenant, and whether it is the databases or
// the connections: the lean-baseline bench's query from 32 concurrent clients, without HTTP, through one pool of 10 to
// one database, through a pool per database of 50, and through 50 pools to that one database.
import postgres from 'postgres'
import { migrateDatabase, tenantMigrations } from '../src/migrations/migrator.ts'
import { median, report, round, startServer } from './harness.ts'
import { postgresServerCost } from './proc-stats.ts'

const DATABASES = 50
const CLIENTS = 32
const ROUNDS = Number(process.env.CONNECTION_SPREAD_ROUNDS ?? 3)
const SECONDS = Number(process.env.CONNECTION_SPREAD_SECONDS ?? 5)

export async function run (): Promise<void> {
  const server = await startServer({ max_connections: 300 })
  const admin = postgres(server.server.url('postgres'), { max: 1, onnotice: () => {} })
  const pools: postgres.Sql[] = []
  const pool = (database: string, max: number) => {
    const sql = postgres(server.server.url(database), { max, onnotice: () => {}, fetch_types: false })
    pools.push(sql)
    return sql
  }
  try {
    const names = Array.from({ length: DATABASES + 1 }, (_, i) => `spread_${i}`)
    for (const name of names) {
      await admin`create database ${admin(name)}`
      await migrateDatabase(server.server.url(name), tenantMigrations)
      const sql = postgres(server.server.url(name), { max: 1, onnotice: () => {} })
      await sql`
        insert into notes (title, content, created_at, updated_at)
        select 'note ' || g, repeat('x', 200), clock_timestamp(), clock_timestamp() from generate_series(1, 25) g`
      await sql`vacuum analyze notes`
      await sql.end()
    }
    const [one, ...each] = names as [string, ...string[]]
    const layouts = {
      'one pool of 10, one database (baseline)': [pool(one, 10)],
      'a pool of 2 per database, 50 databases': each.map((name) => pool(name, 2)),
      'a pool of 1 per database, 50 databases': each.map((name) => pool(name, 1)),
      '50 pools of 2, one database': each.map(() => pool(one, 2)),
    }
    const [row] = await admin<{ setting: string }[]>`select setting from pg_settings where name = 'data_directory'`
    const postgresCost = await postgresServerCost(row?.setting as string)

    // The clients take the pools in turn, as the lean-baseline bench's requests take the tenants.
    const load = async (spread: postgres.Sql[], seconds: number) => {
      let next = 0
      let queries = 0
      const end = performance.now() + seconds * 1000
      await Promise.all(Array.from({ length: CLIENTS }, async () => {
        while (performance.now() < end) {
          const sql = spread[next++ % spread.length] as postgres.Sql
          await sql`select id, title, content, category_id, created_at, updated_at from notes order by created_at desc, id desc limit 20`
          queries++
        }
      }))
      return queries
    }

    const entries = Object.entries(layouts)
    const measured = new Map<string, Array<{ perSecond: number, nodeUs: number, postgresUs: number, switches: number }>>()
    for (let i = 0; i < ROUNDS; i++) {
      // The order rotates, so a drift in the machine's load falls on all alike.
      for (const [name, spread] of [...entries.slice(i % entries.length), ...entries.slice(0, i % entries.length)]) {
        await load(spread, 1) // warm: every pool connected, every statement prepared
        const postgresBefore = await postgresCost()
        const nodeBefore = process.cpuUsage()
        const started = performance.now()
        const queries = await load(spread, SECONDS)
        const seconds = (performance.now() - started) / 1000
        const node = process.cpuUsage(nodeBefore)
        const postgresAfter = await postgresCost()
        const rounds = measured.get(name) ?? []
        rounds.push({
          perSecond: queries / seconds,
          nodeUs: (node.user + node.system) / queries,
          postgresUs: (postgresAfter.cpuUs - postgresBefore.cpuUs) / queries,
          switches: (postgresAfter.switches - postgresBefore.switches) / queries,
        })
        measured.set(name, rounds)
      }
    }
    const baseline = measured.get(entries[0]?.[0] as string) ?? []
    const rows = entries.map(([name]) => {
      const rounds = measured.get(name) ?? []
      const of = (key: 'perSecond' | 'nodeUs' | 'postgresUs' | 'switches') => median(rounds.map((r) => r[key]))
      return {
        layout: name,
        'queries/s': Math.round(of('perSecond')),
        'node µs/query': Math.round(of('nodeUs')),
        'postgres µs/query': Math.round(of('postgresUs')),
        'postgres switches/query': round(of('switches'), 2),
        // Round by round, against the baseline measured in the same round.
        'postgres µs ratio': round(median(rounds.map((r, i) => r.postgresUs / (baseline[i]?.postgresUs ?? NaN))), 2),
      }
    })
    await report('connection-spread', rows, {
      question: 'is the cost of a pool per tenant the databases or the connections?',
      clients: CLIENTS,
      databases: DATABASES,
      rounds: ROUNDS,
      secondsPerLayoutPerRound: SECONDS,
      cpu: 'node: this process (the clients and postgres.js); postgres: every PostgreSQL process, from /proc; switches: context switches',
    })
  } finally {
    await Promise.all(pools.map((sql) => sql.end({ timeout: 1 })))
    await admin.end()
    await server.close()
  }
}
