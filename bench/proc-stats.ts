// CPU time and context switches of processes, from Linux's /proc: what a request costs each process the benches run.
import { execFile } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { promisify } from 'node:util'

/** CPU (user + system, µs) and context switches (voluntary + involuntary: each time it slept or was preempted). */
export interface ProcessCost { cpuUs: number, switches: number }

const hertz = Number((await promisify(execFile)('getconf', ['CLK_TCK'])).stdout.trim())

async function stat (pid: number | string): Promise<{ ppid: number, ticks: number, reapedTicks: number } | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  // After the command: state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17), here indexed from state.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), reapedTicks: Number(fields[13]) + Number(fields[14]) }
}

/** Context switches of every thread of a process. */
async function switches (pid: number | string): Promise<number> {
  let total = 0
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [])
  for (const task of tasks) {
    const status = await readFile(`/proc/${pid}/task/${task}/status`, 'utf8').catch(() => '')
    for (const match of status.matchAll(/ctxt_switches:\s+(\d+)/g)) total += Number(match[1])
  }
  return total
}

/** One process, all its threads. */
export async function processCost (pid: number): Promise<ProcessCost> {
  const own = await stat(pid)
  return { cpuUs: (own?.ticks ?? 0) * 1e6 / hertz, switches: await switches(pid) }
}

/**
 * A whole PostgreSQL server: the postmaster with its reaped children's CPU, plus every live child (backends, walwriter,
 * checkpointer, autovacuum). Context switches are the live processes' only (backends live as long as their pools).
 */
export async function postgresServerCost (dataDirectory: string): Promise<() => Promise<ProcessCost>> {
  const postmaster = Number((await readFile(`${dataDirectory}/postmaster.pid`, 'utf8')).split('\n')[0])
  return async () => {
    const main = await stat(postmaster)
    let ticks = (main?.ticks ?? 0) + (main?.reapedTicks ?? 0)
    let total = await switches(postmaster)
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      const child = await stat(entry)
      if (child?.ppid !== postmaster) continue
      ticks += child.ticks
      total += await switches(entry)
    }
    return { cpuUs: ticks * 1e6 / hertz, switches: total }
  }
}

/** The 1-minute load average: what else the machine was running. */
export async function loadAverage (): Promise<number> {
  return Number((await readFile('/proc/loadavg', 'utf8')).split(' ')[0])
}
