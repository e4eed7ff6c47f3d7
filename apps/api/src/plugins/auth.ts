import { AppError, forbidden, unauthorized } from '@sluice/errors/app-error';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKeyService, Principal } from '../services/api-key-service.ts';

/**
 * Who may call a route, declared in its `config.access`:
 * - `public`: anyone (health, docs);
 * - `operator`: the OPERATOR_API_KEY (everything under /v1/admin);
 * - `events`: a tenant key with scope `ingest` or `admin` (POST/GET /v1/events*);
 * - `tenantAdmin`: a tenant key with scope `admin`.
 */
export type Access = 'public' | 'operator' | 'events' | 'tenantAdmin';

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
  if (access === 'tenantAdmin' && !principal.scopes.includes('admin')) {
    throw forbidden('This route needs an API key with the admin scope.');
  }
}

export function registerAuth(app: FastifyInstance, apiKeys: ApiKeyService) {
  app.decorateRequest('principal', null);
  // onRequest runs before the body is read: an unauthenticated client cannot make us parse 1 MiB.
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access ?? 'public';
    if (access === 'public') return;
    const token = bearerToken(request);
    if (!token) throw unauthorized('Send an API key as Authorization: Bearer <key>.');
    const principal = await apiKeys.authenticate(token);
    if (!principal) throw unauthorized('The API key is unknown or revoked.');
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
