// postgres.js keeps each pool's connections, and each connection's sent queries, in its own Queue (src/queue.js). As
// released (3.4.9), taking from the front left an empty slot behind, and the slots were only dropped when the queue
// emptied: a pool whose idle list never empties (two connections taking turns under steady traffic, the second one
// idle in the list meanwhile) grew by one slot per query for as long as the process lived, and every move of a
// connection searched all of them (about 0.4 µs more per query for every 1,000 queries before it, measured).
// patches/postgres+3.4.9.patch drops the taken slots once they are half the array. The queue is driven here exactly as
// the pool drives its idle list, through an array that records how long it became.
import t from 'tap'
import { createRequire } from 'node:module'

interface Queue<T> { readonly length: number, push (x: T): T, shift (): T | undefined, remove (x: T): T | null }
type QueueFactory = <T>(initial?: T[]) => Queue<T>

/** The backing array's longest length: Queue copies the array it is given with slice, which keeps the subclass. */
class Recorded<T> extends Array<T> {
  static longest = 0
  override indexOf (x: T, from?: number): number {
    Recorded.longest = Math.max(Recorded.longest, this.length)
    return super.indexOf(x, from)
  }
}

// Both copies the package ships: ES modules (what the server imports) and CommonJS (what require gets).
const copies = {
  esm: new URL('./queue.js', import.meta.resolve('postgres')).href,
  cjs: new URL('./queue.js', `file://${createRequire(import.meta.url).resolve('postgres')}`).href,
}

const load = async (url: string) => ((await import(url)) as { default: QueueFactory }).default

for (const [name, url] of Object.entries(copies)) {
  t.test(`${name}: a queue that never empties stays as long as what it holds`, async (t) => {
    const Queue = await load(url)
    Recorded.longest = 0
    const idle = Queue(new Recorded<string>())
    idle.push('a')
    idle.push('b')
    const taken: string[] = []
    let found = 0
    // The pool: the oldest idle connection goes to work (shift; its move to the busy list then looks for it here and
    // finds it gone) and is put back at the end when its query is done.
    for (let i = 0; i < 100_000; i++) {
      const connection = idle.shift() as string
      taken.push(connection)
      if (idle.remove(connection) !== null) found++
      idle.push(connection)
    }
    t.ok(Recorded.longest <= 64, `the array stayed at most 64 long (it reached ${Recorded.longest})`)
    t.equal(found, 0, 'a connection taken from the list is no longer in it')
    t.equal(idle.length, 2)
    t.ok(taken.every((connection, i) => connection === (i % 2 === 0 ? 'a' : 'b')), 'first in, first out throughout')
  })

  t.test(`${name}: remove takes an item from the middle, and taking from an empty queue changes nothing`, async (t) => {
    const Queue = await load(url)
    Recorded.longest = 0
    const queue = Queue(new Recorded<number>())
    for (let i = 0; i < 200; i++) queue.push(i)
    // Past the point where the taken slots are dropped, so the search starts over in the new array.
    t.same(Array.from({ length: 150 }, () => queue.shift()), Array.from({ length: 150 }, (_, i) => i))
    t.equal(queue.remove(175), 175)
    t.equal(queue.remove(10), null, 'an item already taken is not found')
    t.equal(queue.length, 49)
    const rest: number[] = []
    while (queue.length > 0) rest.push(queue.shift() as number)
    t.same(rest, [...Array.from({ length: 25 }, (_, i) => 150 + i), ...Array.from({ length: 24 }, (_, i) => 176 + i)])
    Recorded.longest = 0
    const empty = Queue(new Recorded<number>())
    t.ok(Array.from({ length: 1000 }, () => empty.shift()).every((item) => item === undefined))
    empty.remove(0)
    t.equal(Recorded.longest, 0, 'shifts of an empty queue left no slots behind')
    empty.push(7)
    t.equal(empty.length, 1)
    t.equal(empty.shift(), 7)
  })
}
