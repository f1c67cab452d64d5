// Every error the application raises on purpose, declared once; the problem-details plugin turns them into RFC 7807 bodies.
import createError from '@fastify/error'

export const BadRequestError = createError('BAD_REQUEST', '%s', 400)
export const InvalidCursorError = createError('INVALID_CURSOR', 'The cursor is not valid for this list', 400)
export const WeakPasswordError = createError('WEAK_PASSWORD', '%s', 400)
export const InvalidSlugError = createError('INVALID_SLUG', 'A slug is 3-40 characters: a lowercase letter, then lowercase letters, digits or "_"', 400)
export const UnauthorizedError = createError('UNAUTHORIZED', 'Authentication is required', 401)
export const InvalidCredentialsError = createError('INVALID_CREDENTIALS', 'Invalid credentials', 401)
export const InvalidRefreshTokenError = createError('INVALID_REFRESH_TOKEN', 'The refresh token is invalid or expired', 401)
export const ForbiddenError = createError('FORBIDDEN', '%s', 403)
export const TenantSuspendedError = createError('TENANT_SUSPENDED', 'The tenant is suspended', 403)
export const NotFoundError = createError('NOT_FOUND', '%s not found', 404)
export const TenantNotFoundError = createError('TENANT_NOT_FOUND', 'Tenant not found', 404)
export const ConflictError = createError('CONFLICT', '%s', 409)
export const SlugTakenError = createError('SLUG_TAKEN', 'A tenant with this slug already exists', 409)
export const SlugUnavailableError = createError('SLUG_UNAVAILABLE', 'The database server already has a database or role by this slug\'s name that this installation did not make; choose another slug', 409)
export const LoginRateLimitedError = createError('LOGIN_RATE_LIMITED', 'Too many failed logins; retry later', 429)
export const ProvisioningFailedError = createError('PROVISIONING_FAILED', 'Provisioning failed at step "%s"; nothing was kept, the request can be retried', 503)
export const TenantDatabaseUnavailableError = createError('TENANT_DATABASE_UNAVAILABLE', 'The tenant database cannot be reached right now', 503)
export const MasterDatabaseUnavailableError = createError('MASTER_DATABASE_UNAVAILABLE', 'The master database is not answering', 503)
export const PoolsBusyError = createError('POOLS_BUSY', 'Every tenant connection slot stayed busy past the request deadline; retry shortly', 503)
export const NoServerRoomError = createError('NO_SERVER_ROOM', 'No active database server has room for another tenant; add a server or raise a max_tenants', 503)
export const ServerUnavailableError = createError('SERVER_UNAVAILABLE', 'The database server this needs cannot be used right now', 503)
export const LifecycleBusyError = createError('LIFECYCLE_BUSY', 'Too many tenants are being created or changed right now; retry shortly', 503)
export const ConnectionManagerClosedError = createError('CONNECTION_MANAGER_CLOSED', 'The server is shutting down', 503)

/** A reason the process cannot start that its one-line message explains (no stack is worth showing). */
export class StartupError extends Error {
  override name = 'StartupError'
}

/** Seconds a client should wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = 5
