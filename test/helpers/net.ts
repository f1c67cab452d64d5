// Small TCP servers for tests: a forwarding proxy (another address for the same PostgreSQL) and a server that never answers.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'

export interface TestTcpServer {
  port: number
  close (): Promise<void>
}

function listen (server: Server, sockets: Set<Socket>): Promise<TestTcpServer> {
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy()
          server.close(() => { resolve() })
        }),
      })
    })
  })
}

/** Forwards every connection to `host:port`; with `delayMs`, each chunk waits that long each way, as over a network. */
export function startTcpProxy (host: string, port: number, delayMs = 0): Promise<TestTcpServer> {
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(port, host)
    client.setNoDelay(true)
    upstream.setNoDelay(true)
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    if (delayMs === 0) {
      client.pipe(upstream).pipe(client)
    } else {
      // Timers of one delay fire in the order they were set, so the byte stream keeps its order.
      client.on('data', (chunk) => setTimeout(() => upstream.write(chunk), delayMs))
      upstream.on('data', (chunk) => setTimeout(() => client.write(chunk), delayMs))
      client.on('end', () => setTimeout(() => upstream.end(), delayMs))
      upstream.on('end', () => setTimeout(() => client.end(), delayMs))
    }
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
  })
  return listen(server, sockets)
}

/** Accepts connections and never sends a byte: a server that hangs. */
export function startSilentServer (): Promise<TestTcpServer> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => { socket.on('error', () => {}) })
  return listen(server, sockets)
}
