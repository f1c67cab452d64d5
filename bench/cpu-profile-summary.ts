// Where a server's CPU goes, from a V8 profile (`node --cpu-prof`, see bench/lean-baseline): time by the package or
// source file that spent it (Node's own code counts for its nearest caller), and the inclusive time of named functions.
// `node --import tsx bench/cpu-profile-summary.ts <file> [--skip <seconds>] [--per <requests>] [--fn name,name]`.
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'

interface ProfileNode { id: number, callFrame: { functionName: string, url: string }, children?: number[] }
interface Profile { nodes: ProfileNode[], startTime: number, endTime: number, samples: number[], timeDeltas: number[] }

const { values, positionals } = parseArgs({ allowPositionals: true, options: { skip: { type: 'string' }, per: { type: 'string' }, fn: { type: 'string' } } })
const file = positionals[0]
if (file === undefined) throw new Error('usage: cpu-profile-summary.ts <file.cpuprofile> [--skip seconds] [--per requests] [--fn a,b]')
const profile = JSON.parse(await readFile(file, 'utf8')) as Profile
const skipUs = Number(values.skip ?? 0) * 1e6

// Self time per node, from the samples after the skipped start-up.
const self = new Map<number, number>()
let at = 0
for (const [i, id] of profile.samples.entries()) {
  const delta = profile.timeDeltas[i] ?? 0
  at += delta
  if (at < skipUs) continue
  self.set(id, (self.get(id) ?? 0) + delta)
}

const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const parent = new Map<number, number>()
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)

function category (node: ProfileNode): string {
  const { url, functionName } = node.callFrame
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)'
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (inModules !== null) return inModules[1] as string
  if (url.startsWith('node:')) return url.replace(/^node:internal\/([^/]+).*/, 'node:internal/$1')
  const inRepo = /\/(src|bench)\/(.*)$/.exec(url)
  return inRepo !== null ? `${inRepo[1]}/${inRepo[2]}` : url
}

const busy = [...self].reduce((sum, [id, us]) => sum + (byId.get(id)?.callFrame.functionName === '(idle)' ? 0 : us), 0)
const per = values.per === undefined ? undefined : Number(values.per)
const show = (us: number) => ({ ms: Math.round(us / 1000), '% busy': Math.round(1000 * us / busy) / 10, ...(per !== undefined && { 'µs/req': Math.round(us / per) }) })

/** A sample's time goes to the nearest caller outside Node's own code: a socket write to the package that wrote. */
function owner (id: number): string {
  let fallback: string | undefined
  for (let node = byId.get(id); node !== undefined; node = byId.get(parent.get(node.id) ?? -1)) {
    const name = category(node)
    if (name.startsWith('(') && name !== '(native)') return name
    if (name === '(native)' || name.startsWith('node:')) {
      fallback ??= name.startsWith('node:') ? name : undefined
      continue
    }
    return name
  }
  return fallback ?? '(native)'
}

const categories = new Map<string, number>()
for (const [id, us] of self) {
  const name = owner(id)
  categories.set(name, (categories.get(name) ?? 0) + us)
}
console.log(`busy ${Math.round(busy / 1000)} ms (idle excluded)${per === undefined ? '' : ` over ${per} requests`}`)
console.table(Object.fromEntries([...categories].filter(([name]) => name !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, 25).map(([name, us]) => [name, show(us)])))

// Inclusive time of named functions: every sample whose stack contains one (counted once per sample).
const wanted = (values.fn ?? '').split(',').filter((name) => name !== '')
if (wanted.length > 0) {
  const inclusive = new Map<string, number>(wanted.map((name) => [name, 0]))
  for (const [id, us] of self) {
    const seen = new Set<string>()
    for (let node = byId.get(id); node !== undefined; node = byId.get(parent.get(node.id) ?? -1)) {
      const name = node.callFrame.functionName
      if (inclusive.has(name) && !seen.has(name)) {
        seen.add(name)
        inclusive.set(name, (inclusive.get(name) as number) + us)
      }
    }
  }
  console.table(Object.fromEntries([...inclusive].map(([name, us]) => [name, show(us)])))
}
