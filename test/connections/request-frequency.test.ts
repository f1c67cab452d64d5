// RequestFrequency: counts that age, so the pools worth keeping follow the traffic and memory stays bounded.
import t from 'tap'
import { RequestFrequency } from '../../src/connections/request-frequency.ts'

t.test('counts each key until the sample is full', async (t) => {
  const frequency = new RequestFrequency(100)
  for (let i = 0; i < 5; i++) frequency.record('a')
  frequency.record('b')
  t.equal(frequency.of('a'), 5)
  t.equal(frequency.of('b'), 1)
  t.equal(frequency.of('never'), 0)
})

t.test('halves every count once sampleSize have been recorded, forgetting keys that reach zero', async (t) => {
  const frequency = new RequestFrequency(10)
  for (let i = 0; i < 7; i++) frequency.record('busy')
  frequency.record('rare')
  frequency.record('pair')
  frequency.record('pair')
  t.equal(frequency.of('busy'), 3, '7 halved, rounded down')
  t.equal(frequency.of('pair'), 1)
  t.equal(frequency.of('rare'), 0)
  t.equal(frequency.size, 2, 'the key at zero is gone')
})

t.test('a key that stops being asked for falls behind one that starts', async (t) => {
  const frequency = new RequestFrequency(20)
  for (let i = 0; i < 40; i++) frequency.record('old')
  for (let i = 0; i < 40; i++) frequency.record('new')
  t.ok(frequency.of('new') > frequency.of('old'), `new ${frequency.of('new')} > old ${frequency.of('old')}`)
})

t.test('memory stays bounded however many distinct keys pass through', async (t) => {
  const frequency = new RequestFrequency(50)
  for (let i = 0; i < 10_000; i++) frequency.record(`key${i}`)
  t.ok(frequency.size <= 50, `${frequency.size} keys held`)
})

t.test('above counts the keys recorded more often than one, ties not included', async (t) => {
  const frequency = new RequestFrequency(100)
  for (const [key, count] of Object.entries({ a: 5, b: 3, c: 3, d: 1 })) {
    for (let i = 0; i < count; i++) frequency.record(key)
  }
  t.equal(frequency.above('a'), 0)
  t.equal(frequency.above('b'), 1)
  t.equal(frequency.above('c'), 1, 'b is tied with c, not above it')
  t.equal(frequency.above('d'), 3)
  t.equal(frequency.above('never'), 4, 'a key never recorded is below every recorded one')
})
