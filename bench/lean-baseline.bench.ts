// The product as `npm start` runs it, over 50 tenants, against the server a user would build instead (one Fastify
// route, @fastify/jwt, one postgres.js pool of 10, one database with the same rows), each in its own process, measured
// in turn. A third server, the bare one with a pool per tenant database, shows what the structure itself costs.
import { randomBytes } from 'node:crypto'
import type { ChildProcess } from 'node:child_process'
import autocannon from 'autocannon'
import postgres from 'postgres'
import { analyzeTenants, median, report, round, startServer } from './harness.ts'
import {
  commandFor, poolCounters, provisionAndSeed, seedBaseline, SERVERS, startProcess, BASELINE_DATABASE, type ServerName, type ServerProcess,
} from './lean-baseline-setup.ts'
import { loadAverage, postgresServerCost, processCost, type ProcessCost } from './proc-stats.ts'

const TENANTS = 50
const NOTES_PER_TENANT = 25
const CONNECTIONS = 32
// Overridable for a quicker look while investigating (LEAN_BASELINE_ROUNDS=1 ...); the README's figures use these.
const ROUNDS = Number(process.env.LEAN_BASELINE_ROUNDS ?? 5)
const WARM_UP_SECONDS = Number(process.env.LEAN_BASELINE_WARM_UP_SECONDS ?? 8)
const SLICES = Number(process.env.LEAN_BASELINE_SLICES ?? 3)
const SLICE_SECONDS = Number(process.env.LEAN_BASELINE_SLICE_SECONDS ?? 4)
const NAMES = (process.env.LEAN_BASELINE_SERVERS ?? 'baseline,product,perTenant').split(',') as ServerName[]
// `LEAN_BASELINE_CPU_PROF=<dir>` writes V8 CPU profiles of each server to <dir>/<server>/ (README: where the time goes).
const PROFILE_DIR = process.env.LEAN_BASELINE_CPU_PROF

/** One server's share of a round: its slices added up. */
interface Measurement {
  seconds: number
  requests: number
  p50: number[]
  p99: number[]
  node: ProcessCost
  postgres: ProcessCost
}

export async function run (): Promise<void> {
  for (const name of NAMES) if (!(name in SERVERS)) throw new Error(`unknown server ${name}; known: ${Object.keys(SERVERS).join(', ')}`)
  if (!NAMES.includes('baseline')) throw new Error('the baseline must run: every ratio is to it')
  // 50 pools x 2 for each per-tenant server, the master pools, the baseline's 10: all must fit.
  const server = await startServer({ max_connections: 400 })
  const admin = postgres(server.server.url('postgres'), { max: 1, onnotice: () => {} })
  const secrets = { jwtSecret: randomBytes(32).toString('hex'), tenantDbSecret: randomBytes(32).toString('hex') }
  const children: ChildProcess[] = []
  try {
    const urlOf = server.server.url.bind(server.server)
    const tenants = await provisionAndSeed(server.masterUrl, urlOf, secrets, TENANTS, NOTES_PER_TENANT)
    await seedBaseline(urlOf, tenants[0]?.slug as string)
    await analyzeTenants(server, tenants.map((tenant) => tenant.slug))
    const [row] = await admin<{ setting: string }[]>`select setting from pg_settings where name = 'data_directory'`
    const postgresCost = await postgresServerCost(row?.setting as string)
    const urls = { master: server.masterUrl, baseline: urlOf(BASELINE_DATABASE), server: urlOf('postgres') }

    // Requests take the 50 tenants in turn across all connections, so the 32 in flight are spread over tenants as
    // independent clients' would be. (A list of 50 requests would be walked by every connection from the same start:
    // 32 requests at once for one tenant, then for the next, in lockstep.) The bare servers get the same tokens.
    const tokens = tenants.map((tenant) => `Bearer ${tenant.token}`)
    let next = 0
    const requests = [{
      method: 'GET' as const,
      path: '/api/v1/notes',
      setupRequest: (request: autocannon.Request) => ({
        ...request,
        headers: { ...request.headers, authorization: tokens[next++ % tokens.length] as string },
      }),
    }]
    const load = async (target: ServerProcess, seconds: number) => {
      const result = await autocannon({ url: target.url, connections: CONNECTIONS, duration: seconds, requests })
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${target.name}: ${result.non2xx} non-2xx, ${result.errors} errors: ${JSON.stringify(result.statusCodeStats)}`)
      return result
    }

    const rounds: Array<Partial<Record<ServerName, Measurement>>> = []
    const loads: number[] = []
    const pools = { opened: 0, evicted: 0 }
    const served: Record<string, number> = {}
    for (let i = 0; i < ROUNDS; i++) {
      // Fresh processes every round, each put under load for the same time, so that none carries more history into a
      // round than another. (postgres.js as released kept a slot per query in any of its queues that never emptied and
      // searched them all: a saturated pool got slower the longer it ran, 10% of the baseline's CPU after 60 s.
      // patches/postgres+3.4.9.patch drops those slots, for both servers: test/connections/driver-queues.test.ts.)
      const servers = await Promise.all(NAMES.map((name) => startProcess(name, commandFor(name, urls, secrets), children, PROFILE_DIR)))
      try {
        if (i === 0) await assertSameAnswers(servers, tokens[0] as string)
        loads.push(await loadAverage())
        // Rotate which goes first, so a drift in the machine's load falls on all alike.
        const inTurn = (shift: number) => servers.map((_, j) => servers[(j + shift) % servers.length] as ServerProcess)
        // Warm-up: JIT, the tenant pools, postgres.js's prepared statements.
        for (const target of inTurn(i)) served[`${target.name} pid ${target.pid}`] = (await load(target, WARM_UP_SECONDS)).requests.total
        const measured: Partial<Record<ServerName, Measurement>> = {}
        // Short slices in turn: the machine is shared, and what else runs on it changes from one minute to the next.
        for (let slice = 0; slice < SLICES; slice++) {
          for (const target of inTurn(i + slice)) {
            const nodeBefore = await processCost(target.pid)
            const postgresBefore = await postgresCost()
            const poolsBefore = target.name.startsWith('product') ? await poolCounters(target.url) : undefined
            const result = await load(target, SLICE_SECONDS)
            const node = added(await processCost(target.pid), nodeBefore, -1)
            const postgresUsed = added(await postgresCost(), postgresBefore, -1)
            if (poolsBefore !== undefined) {
              const after = await poolCounters(target.url)
              pools.opened += after.misses - poolsBefore.misses
              pools.evicted += after.evictions - poolsBefore.evictions
            }
            served[`${target.name} pid ${target.pid}`] = (served[`${target.name} pid ${target.pid}`] ?? 0) + result.requests.total
            const sum = measured[target.name] ??= { seconds: 0, requests: 0, p50: [], p99: [], node: NOTHING, postgres: NOTHING }
            sum.seconds += SLICE_SECONDS
            sum.requests += result.requests.total
            sum.p50.push(result.latency.p50)
            sum.p99.push(result.latency.p99)
            sum.node = added(sum.node, node)
            sum.postgres = added(sum.postgres, postgresUsed)
          }
        }
        rounds.push(measured)
      } finally {
        await Promise.all(servers.map((target) => target.stop()))
      }
    }
    await reportRounds(rounds, { loads, pools, served })
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await admin.end()
    await server.close()
  }
}

const NOTHING: ProcessCost = { cpuUs: 0, switches: 0 }

function added (a: ProcessCost, b: ProcessCost, sign = 1): ProcessCost {
  return { cpuUs: a.cpuUs + sign * b.cpuUs, switches: a.switches + sign * b.switches }
}

/** All answer with the same rows in the same JSON. */
async function assertSameAnswers (servers: ServerProcess[], token: string): Promise<void> {
  const answers = await Promise.all(servers.map(async (target) => {
    const response = await fetch(`${target.url}/api/v1/notes`, { headers: { authorization: token } })
    if (response.status !== 200) throw new Error(`${target.name}: ${response.status} ${await response.text()}`)
    return JSON.stringify((await response.json() as { data: unknown[] }).data)
  }))
  if (new Set(answers).size !== 1) throw new Error(`the servers answer differently:\n${answers.map((answer) => answer.slice(0, 300)).join('\n')}`)
}

async function reportRounds (rounds: Array<Partial<Record<ServerName, Measurement>>>, context: {
  loads: number[]
  pools: { opened: number, evicted: number }
  served: Record<string, number>
}): Promise<void> {
  const of = (name: ServerName) => rounds.map((measured) => measured[name] as Measurement)
  const rps = (m: Measurement) => m.requests / m.seconds
  // A ratio is taken round by round (the two measured minutes apart at most), then the median of the rounds.
  const ratioTo = (name: ServerName, to: ServerName) =>
    rounds.map((measured) => rps(measured[name] as Measurement) / rps(measured[to] as Measurement))
  const perRequest = (m: Measurement, value: number) => value / m.requests
  const row = (name: ServerName) => {
    const measured = of(name)
    return {
      server: SERVERS[name],
      'requests/s': round(median(measured.map(rps)), 0),
      'p50 ms': median(measured.map((m) => median(m.p50))),
      'p99 ms': median(measured.map((m) => median(m.p99))),
      'node µs/req': round(median(measured.map((m) => perRequest(m, m.node.cpuUs))), 0),
      'postgres µs/req': round(median(measured.map((m) => perRequest(m, m.postgres.cpuUs))), 0),
      'node switches/req': round(median(measured.map((m) => perRequest(m, m.node.switches))), 2),
      'postgres switches/req': round(median(measured.map((m) => perRequest(m, m.postgres.switches))), 2),
      ratio: name === 'baseline' ? 1 : round(median(ratioTo(name, 'baseline')), 3),
    }
  }
  const others = NAMES.filter((name) => name !== 'baseline')
  const p99 = (name: ServerName) => median(of(name).map((m) => median(m.p99)))
  await report('lean-baseline', ['baseline' as const, ...others].map(row), {
    target: 'tenancy / baseline >= 0.85, p99 within 1.3x of the baseline\'s',
    'ratio by round': Object.fromEntries(others.map((name) => [name, ratioTo(name, 'baseline').map((ratio) => round(ratio, 3))])),
    ...(NAMES.includes('product') && {
      'p99 ratio (tenancy / baseline)': round(p99('product') / p99('baseline'), 2),
      ...(NAMES.includes('perTenant') && {
        'tenancy / bare per-tenant pools (what the product adds to the structure), by round': ratioTo('product', 'perTenant').map((ratio) => round(ratio, 3)),
        'tenancy / bare per-tenant pools, median': round(median(ratioTo('product', 'perTenant')), 3),
      }),
      'tenant pools opened / evicted while measured': `${context.pools.opened} / ${context.pools.evicted}`,
    }),
    cpu: 'node: the server process\'s user+system CPU / requests; postgres: every PostgreSQL process\'s, from /proc; switches: context switches',
    'load average at each round': context.loads,
    rounds: rounds.length,
    warmUpSeconds: WARM_UP_SECONDS,
    slices: `${SLICES} x ${SLICE_SECONDS} s per server per round`,
    connections: CONNECTIONS,
    tenants: TENANTS,
    notesPerTenant: NOTES_PER_TENANT,
    ...(PROFILE_DIR !== undefined && {
      cpuProfiles: PROFILE_DIR,
      // For bench/cpu-profile-summary.ts --per (a profile per process, named with its pid): requests it answered.
      'requests served': context.served,
    }),
  })
}
