// Bounded waits for the hardening tests: a request that would hang on broken code fails fast with a clear message.

export type Settled<T> = { answered: true, value: T, ms: number } | { answered: false, ms: number }

/** Races `promise` against a timer: `answered: false` after `ms` milliseconds instead of waiting forever. */
export async function settle<T> (promise: Promise<T>, ms: number): Promise<Settled<T>> {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => { resolve('timeout') }, ms) })
  try {
    const winner = await Promise.race([promise.then((value) => ({ value })), timeout])
    const elapsed = Math.round(performance.now() - started)
    return winner === 'timeout' ? { answered: false, ms: elapsed } : { answered: true, value: winner.value, ms: elapsed }
  } finally {
    clearTimeout(timer)
  }
}

/** Like `settle`, but rejects with `label` when there is no answer in time. */
export async function within<T> (promise: Promise<T>, ms: number, label: string): Promise<T> {
  const result = await settle(promise, ms)
  if (!result.answered) throw new Error(`${label}: no answer within ${ms} ms`)
  return result.value
}

/** Status counts, e.g. { 200: 1, 401: 39, timeout: 0 }, for readable assertion messages. */
export function tally (results: Array<Settled<{ statusCode: number }>>): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const result of results) {
    const key = result.answered ? String(result.value.statusCode) : 'timeout'
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}
