// A throwaway Redis for the test run, when the machine has a `redis-server` and TEST_REDIS_URL names none.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { access, constants } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import { freePort } from './helpers/free-port.ts'

export interface ThrowawayRedis {
  url: string
  stop (): Promise<void>
}

async function onPath (command: string): Promise<string | undefined> {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(directory, command)
    try {
      await access(candidate, constants.X_OK)
      return candidate
    } catch {}
  }
  return undefined
}

/** Undefined when there is no `redis-server` to start. Memory only: nothing is written to disk. */
export async function startThrowawayRedis (): Promise<ThrowawayRedis | undefined> {
  const binary = await onPath('redis-server')
  if (binary === undefined) return undefined
  const port = await freePort()
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = once(child, 'exit')
  await new Promise<void>((resolve, reject) => {
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) resolve()
    })
    child.once('error', reject)
    void exited.then(() => { reject(new Error(`redis-server exited before it was ready:\n${output}`)) })
  })
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop () {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}
