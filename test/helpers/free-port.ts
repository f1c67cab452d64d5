// A loopback port for a throwaway server, chosen by the OS rather than at random: a random pick can land on a
// port a client socket holds (Linux hands those out from 32768 up).
import { once } from 'node:events'
import { createServer } from 'node:net'

/** A loopback port nothing listens on (at the time of asking). */
export async function freePort (): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}
