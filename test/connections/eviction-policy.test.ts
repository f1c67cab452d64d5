// EvictionPolicy: which idle pools close when slots are needed. Pools are listed least recently used first.
import t from 'tap'
import { EvictionPolicy } from '../../src/connections/eviction-policy.ts'

function policyWith (slots: number, requests: Record<string, number>): EvictionPolicy {
  const policy = new EvictionPolicy(slots)
  for (const [slug, count] of Object.entries(requests)) {
    for (let i = 0; i < count; i++) policy.record(slug)
  }
  return policy
}

const idle = (...slugs: string[]) => slugs.map((slug) => ({ slug, idle: true }))

t.test('a fifth of the slots take turns; the rest are kept for the tenants asked for most', async (t) => {
  t.equal(new EvictionPolicy(20).kept, 16)
  t.equal(new EvictionPolicy(5).kept, 4)
  t.equal(new EvictionPolicy(2).kept, 1)
  t.equal(new EvictionPolicy(1).kept, 0, 'one slot: it always takes turns')
})

t.test('the busiest pools are never chosen, even when they are the least recently used and idle', async (t) => {
  const policy = policyWith(5, { a: 9, b: 8, c: 7, d: 6, x: 1 })
  t.same(policy.choose(idle('a', 'b', 'c', 'd', 'x'), 1), ['x'])
  t.same(policy.choose(idle('a', 'b', 'c', 'd', 'x'), 3), ['x'], 'asked for more, it still keeps the four busiest')
})

t.test('the window closes its least recently used pool first, whatever the counts: a newcomer keeps its pool a while', async (t) => {
  // Ten slots: eight kept for the regulars, two in the window.
  const regulars = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8']
  const policy = policyWith(10, { ...Object.fromEntries(regulars.map((slug) => [slug, 9])), old: 3, newcomer: 1 })
  const pools = idle('old', ...regulars, 'newcomer')
  t.same(policy.choose(pools, 1), ['old'], 'the least recently used window pool, though the newcomer has the lower count')
  t.same(policy.choose(pools, 2), ['old', 'newcomer'])
})

t.test('a busy pool is skipped: fewer are chosen rather than a kept one', async (t) => {
  const policy = policyWith(5, { a: 9, b: 8, c: 7, d: 6, x: 1 })
  t.same(policy.choose([...idle('a', 'b', 'c', 'd'), { slug: 'x', idle: false }], 1), [])
})

t.test('for a queued open out of patience, kept pools may close too: the window first, then the least recently used', async (t) => {
  const policy = policyWith(5, { a: 9, b: 8, c: 7, d: 6, x: 1 })
  const pools = [...idle('a', 'b', 'c', 'd'), { slug: 'x', idle: false }]
  t.same(policy.choose(pools, 1, 1), ['a'])
  t.same(policy.choose(pools, 2, 1), ['a'], 'no more kept pools than allowed')
  t.same(policy.choose(pools, 1, -1), [], 'a negative allowance is none')
  t.same(policy.choose(idle('a', 'b', 'c', 'd', 'x'), 2, 1), ['x', 'a'])
})

t.test('of tenants asked for equally, the more recently used keep their pools', async (t) => {
  const policy = policyWith(5, { p: 2, q: 2, r: 2, s: 2, u: 2, v: 2 })
  t.same(policy.choose(idle('p', 'q', 'r', 's', 'u', 'v'), 6), ['p', 'q'])
})

t.test('nothing is chosen while every open pool fits among the kept', async (t) => {
  const policy = policyWith(20, { a: 1 })
  t.same(policy.choose(idle('a', 'b', 'c'), 2), [])
  t.same(policy.choose(idle('a'), 0), [])
})

t.test('when traffic moves, the kept pools follow it', async (t) => {
  const policy = policyWith(2, {})
  for (let i = 0; i < 300; i++) policy.record('before')
  t.same(policy.choose(idle('before', 'after'), 1), ['after'])
  t.ok(policy.keeps('before'))
  for (let i = 0; i < 300; i++) policy.record('after')
  t.same(policy.choose(idle('after', 'before'), 1), ['before'], 'counts halve every hundred requests per slot, so the old favourite falls behind')
  t.ok(policy.keeps('after'))
  t.notOk(policy.keeps('before'))
})

t.test('keeps: the tenants asked for most, as many as the kept pools; ties go to the tenant asking', async (t) => {
  const policy = policyWith(5, { a: 9, b: 8, c: 7, d: 6, y: 6, x: 1 })
  t.ok(policy.keeps('a'))
  t.ok(policy.keeps('d'), 'three tenants above d: it is among the four kept')
  t.ok(policy.keeps('y'), 'tied with d, so is y')
  t.notOk(policy.keeps('x'), 'five tenants above x')
  t.notOk(policy.keeps('never'), 'a tenant never asked for is below them all')
  t.notOk(policyWith(1, { a: 9 }).keeps('a'), 'one slot: nothing is kept')
})
