// The client address limits count against: Fastify's `request.ip` (the peer, or the client a trusted proxy names, see
// TRUST_PROXY), with IPv6 grouped by /64 as @fastify/rate-limit does: one subscriber commonly holds a whole /64.
import { isIPv6 } from 'node:net'
import { Address6 } from 'ip-address'

export function clientAddress (ip: string): string {
  if (!isIPv6(ip)) return ip.toLowerCase()
  const address = new Address6(ip)
  if (address.isMapped4()) return address.to4().correctForm()
  return new Address6(`${address.correctForm()}/64`).startAddress().correctForm()
}
