// Which server a new tenant goes to: the one named, or the active server with the most room left (ties to the one
// with fewer tenants, then by name). A draining server takes none; a full one (at max_tenants) takes none.
import { ConflictError, NoServerRoomError, NotFoundError } from '../errors.ts'

export interface Candidate {
  id: string
  name: string
  status: 'active' | 'draining'
  maxTenants: number | null
  tenants: number
}

export function place (servers: Candidate[], named?: string): Candidate {
  if (named !== undefined) {
    const server = servers.find((candidate) => candidate.name === named)
    if (server === undefined) throw new NotFoundError('Server')
    if (server.status !== 'active') throw new ConflictError(`Server "${named}" is draining and takes no new tenants`)
    if (!hasRoom(server)) throw new ConflictError(`Server "${named}" is full (max_tenants ${server.maxTenants})`)
    return server
  }
  const open = servers.filter((server) => server.status === 'active' && hasRoom(server))
  const room = (server: Candidate) => server.maxTenants === null ? Number.POSITIVE_INFINITY : server.maxTenants - server.tenants
  open.sort((a, b) => room(b) - room(a) || a.tenants - b.tenants || a.name.localeCompare(b.name))
  const chosen = open[0]
  if (chosen === undefined) throw new NoServerRoomError()
  return chosen
}

export function hasRoom (server: Pick<Candidate, 'maxTenants' | 'tenants'>): boolean {
  return server.maxTenants === null || server.tenants < server.maxTenants
}
