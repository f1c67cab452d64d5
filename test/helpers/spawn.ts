// Runs a Node entry point of this repository as a child process, asynchronously, killing it if it outlives `timeoutMs`.
import { spawn } from 'node:child_process'

export interface Run {
  code: number | null
  stdout: string
  stderr: string
  ms: number
  timedOut: boolean
}

export function runNode (entry: string, args: string[], env: Record<string, string | undefined>, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL') }, timeoutMs)
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, ms: Date.now() - started, timedOut })
    })
  })
}

/** The master database the CLI runs against, the secrets of the app that made it, and any other variables. */
export type CliEnv = { DATABASE_URL: string, TENANT_DB_SECRET?: string, JWT_SECRET?: string } & Record<string, string | undefined>

/** The CLI against a master database, with the secrets of the app that made it. */
export function runCli (args: string[], env: CliEnv, timeoutMs = 60_000): Promise<Run> {
  return runNode('src/cli/main.ts', args, { TENANCY_OWNER_PASSWORD: 'an owner passphrase 7', ...env }, timeoutMs)
}
