import { AppError, forbidden, unauthorized } from '@sluice/errors/app-error';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKeyService, Principal } from '../services/api-key-service.ts';
import type { ConsoleSessionService } from '../services/console-session-service.ts';
import type { PortalService } from '../services/portal-service.ts';
import type { TenantScope } from '../services/tenant-scope.ts';
import { CSRF_HEADER, sessionCookieOf } from './console-cookie.ts';

/**
 * Who may call a route, declared in its `config.access`:
 * - `public`: anyone (health, docs);
 * - `operator`: the OPERATOR_API_KEY (everything under /v1/admin);
 * - `events`: a tenant key with scope `ingest` or `admin` (POST/GET /v1/events*);
 * - `tenantAdmin`: a tenant key with scope `admin`;
 * - `customerData`: a tenant key with scope `admin`, or a portal token, which sees only its
 *   customer: such routes filter by `scopeOf(request)` in their queries.
 *
 * Credentials: `Authorization: Bearer` (API keys, portal tokens), or the console's session
 * cookie, which acts as the key it was opened with; a cookie-authenticated request other than
 * GET must carry the CSRF header (a cross-site form cannot set it, and SameSite=Strict keeps
 * the cookie off cross-site requests anyway).
 */
export type Access = 'public' | 'operator' | 'events' | 'tenantAdmin' | 'customerData';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export type TenantPrincipal = Extract<Principal, { kind: 'tenant' }>;

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

function assertAllowed(access: Access, principal: Principal): void {
  if (access === 'operator') {
    if (principal.kind !== 'operator') throw forbidden('This route needs the operator key.');
    return;
  }
  if (principal.kind === 'operator') {
    throw forbidden('The operator key manages tenants under /v1/admin; use a tenant API key here.');
  }
  if (principal.kind === 'customer') {
    if (access !== 'customerData') {
      throw forbidden(
        'A portal token reaches only /v1/destinations*, /v1/deliveries*, /v1/dlq*, /v1/stats and /v1/alerts.',
      );
    }
    return;
  }
  if ((access === 'tenantAdmin' || access === 'customerData') && !principal.scopes.includes('admin')) {
    throw forbidden('This route needs an API key with the admin scope.');
  }
}

export interface Authenticators {
  apiKeys: ApiKeyService;
  consoleSessions: ConsoleSessionService;
  portal: PortalService;
}

async function principalOf(request: FastifyRequest, auth: Authenticators): Promise<Principal> {
  const token = bearerToken(request);
  if (token) {
    const principal = token.startsWith('pt_')
      ? await auth.portal.authenticate(token)
      : await auth.apiKeys.authenticate(token);
    if (!principal) throw unauthorized('The API key or portal token is unknown, expired or revoked.');
    return principal;
  }
  const session = sessionCookieOf(request);
  if (!session) throw unauthorized('Send an API key as Authorization: Bearer <key>.');
  if (request.method !== 'GET' && request.method !== 'HEAD' && request.headers[CSRF_HEADER] !== '1') {
    throw forbidden(`A console request other than GET must send the ${CSRF_HEADER}: 1 header.`);
  }
  const signedIn = await auth.consoleSessions.authenticate(session);
  if (!signedIn) throw unauthorized('The console session has ended: sign in again.');
  return signedIn.principal;
}

export function registerAuth(app: FastifyInstance, auth: Authenticators) {
  app.decorateRequest('principal', null);
  // onRequest runs before the body is read: an unauthenticated client cannot make us parse 1 MiB.
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access ?? 'public';
    if (access === 'public') return;
    const principal = await principalOf(request, auth);
    assertAllowed(access, principal);
    request.principal = principal;
  });
}

/** The calling tenant, for routes whose access is `events` or `tenantAdmin`. */
export function tenantOf(request: FastifyRequest): TenantPrincipal {
  const principal = request.principal;
  if (principal?.kind !== 'tenant') throw new AppError('internal_error', 500, 'route has no tenant principal');
  return principal;
}

/** The tenant, and the customer a portal token is limited to, for `customerData` routes. */
export function scopeOf(request: FastifyRequest): TenantScope {
  const principal = request.principal;
  if (principal?.kind === 'customer') {
    return { tenantId: principal.tenantId, customerExternalId: principal.customerExternalId };
  }
  return { tenantId: tenantOf(request).tenantId };
}
