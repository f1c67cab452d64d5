// A TCP proxy in front of PostgreSQL that reads what clients send (the frontend protocol), to see on the wire how
// queries go out: Parse (with its statement name), Bind, Flush and Sync, connection by connection; and how much comes back.
import { once } from 'node:events'
import { createConnection, createServer, type Socket } from 'node:net'

export interface FrontendMessage {
  /** The message type: 'P' Parse, 'B' Bind, 'D' Describe, 'E' Execute, 'H' Flush, 'S' Sync, 'Q' simple query... */
  type: string
  /** Parse: the statement's name ('' for the unnamed statement); Bind: the statement it binds. */
  statement?: string
  /** Parse: the SQL text. */
  query?: string
}

/** `received`: the bytes the server has sent the client so far. */
export interface WireConnection { id: number, messages: FrontendMessage[], received: number }

export interface WireProxy {
  port: number
  connections: WireConnection[]
  /** `url` with its host and port replaced by the proxy's. */
  via (url: string): string
  close (): Promise<void>
}

const SSL_REQUEST = 80877103
const GSSENC_REQUEST = 80877104

export async function startWireProxy (target: { host: string, port: number }): Promise<WireProxy> {
  const connections: WireConnection[] = []
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const connection: WireConnection = { id: connections.length, messages: [], received: 0 }
    connections.push(connection)
    const upstream = createConnection(target)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => { sockets.delete(socket) })
      socket.on('error', () => { client.destroy(); upstream.destroy() })
    }
    upstream.on('data', (chunk: Buffer) => { connection.received += chunk.length })
    upstream.pipe(client)
    let pending = Buffer.alloc(0)
    let startup = true
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk)
      pending = Buffer.concat([pending, chunk])
      for (;;) {
        if (startup) {
          if (pending.length < 8) return
          const length = pending.readInt32BE(0)
          if (pending.length < length) return
          const code = pending.readInt32BE(4)
          pending = pending.subarray(length)
          // An SSL or GSSAPI request is followed by the real startup message, also untyped.
          if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) startup = false
          continue
        }
        if (pending.length < 5) return
        const length = pending.readInt32BE(1)
        if (pending.length < length + 1) return
        connection.messages.push(decode(String.fromCharCode(pending[0] as number), pending.subarray(5, length + 1)))
        pending = pending.subarray(length + 1)
      }
    })
    client.on('end', () => { upstream.end() })
    upstream.on('end', () => { client.end() })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  return {
    port,
    connections,
    via (url) {
      const parsed = new URL(url)
      parsed.hostname = '127.0.0.1'
      parsed.port = String(port)
      return parsed.toString()
    },
    async close () {
      for (const socket of sockets) socket.destroy()
      server.close()
      await once(server, 'close')
    },
  }
}

function decode (type: string, body: Buffer): FrontendMessage {
  const cstring = (at: number): [string, number] => {
    const end = body.indexOf(0, at)
    return [body.toString('utf8', at, end), end + 1]
  }
  if (type === 'P') {
    const [statement, next] = cstring(0)
    const [query] = cstring(next)
    return { type, statement, query }
  }
  if (type === 'B') {
    const [, next] = cstring(0)
    const [statement] = cstring(next)
    return { type, statement }
  }
  return { type }
}

export interface Execution {
  connection: number
  /** The SQL, from the Parse that named the statement (or the unnamed statement parsed just before). */
  query: string
  statement: string
  /** Whether the server parsed the query for this execution (a Parse since the previous Sync). */
  parsed: boolean
  /** One, plus one for each Flush the client sent since its previous Sync and waited on. */
  roundTrips: number
}

/** Each Bind a connection sent from its message `from` on, with what it ran and how. */
export function executions (connection: WireConnection, from = 0): Execution[] {
  const named = new Map<string, string>()
  const result: Execution[] = []
  let unnamed = ''
  let flushes = 0
  let parsed = false
  for (const [index, message] of connection.messages.entries()) {
    if (message.type === 'P') {
      parsed = true
      if (message.statement === '') unnamed = message.query as string
      else named.set(message.statement as string, message.query as string)
    } else if (message.type === 'H') {
      flushes++
    } else if (message.type === 'B') {
      const statement = message.statement as string
      if (index >= from) result.push({ connection: connection.id, query: statement === '' ? unnamed : named.get(statement) ?? '?', statement, parsed, roundTrips: 1 + flushes })
    } else if (message.type === 'S') {
      flushes = 0
      parsed = false
    }
  }
  return result
}
