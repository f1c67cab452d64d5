// Requests Node's HTTP parser rejects before Fastify sees them are answered with a problem document, then the connection closes.
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { buildTestApp } from '../helpers/app.ts'

/** Sends `raw` on a fresh connection and resolves with everything the server writes before it closes the connection. */
function exchange (port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let received = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => { received += chunk })
    socket.on('error', reject)
    socket.on('close', () => { resolve(received) })
    socket.setTimeout(5000, () => { socket.destroy(new Error('the server did not close the connection')) })
    socket.write(raw, 'latin1')
  })
}

t.test('malformed requests get a 400 problem document and a closed connection', async (t) => {
  const app = await buildTestApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const cases = {
    'a NUL in a header value': 'GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\0b\r\n\r\n',
    'both Content-Length and Transfer-Encoding': 'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n' +
      'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  }
  for (const [name, raw] of Object.entries(cases)) {
    const response = await exchange(port, raw)
    const [head = '', body = ''] = response.split('\r\n\r\n')
    t.match(head, /^HTTP\/1\.1 400 Bad Request\r\n/, `${name}: 400`)
    t.match(head, /\r\ncontent-type: application\/problem\+json/i, `${name}: a problem document`)
    t.match(JSON.parse(body), { type: 'urn:tenancy:problem:malformed-request', title: 'Bad Request', status: 400, detail: String }, name)
  }
})
