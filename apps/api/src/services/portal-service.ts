import { randomBytes } from 'node:crypto';
import { idFilterSchema } from '@sluice/contracts/common';
import type { AccessTokensRepository } from '@sluice/db/repositories/access-tokens-repository';
import { AppError } from '@sluice/errors/app-error';
import { type Principal, sha256 } from './api-key-service.ts';

/** How long the portal URL's code may wait to be opened: the URL is meant to be embedded at once. */
export const PORTAL_CODE_TTL_SECONDS = 300;

const hashOf = (token: string) => sha256(token).toString('hex');
const secret = (prefix: string) => `${prefix}_${randomBytes(32).toString('base64url')}`;

type CustomerPrincipal = Extract<Principal, { kind: 'customer' }>;

/**
 * Customer portal sessions. POST /v1/portal/sessions hands the tenant a customer-scoped bearer
 * token and a portal URL. The URL does not carry that token: its fragment holds a single-use
 * code (never sent to a server, so never in a log) that the portal page trades for a token of
 * its own, kept in the page's memory. Both tokens die at expiry or when the customer's tokens
 * are revoked.
 */
export function createPortalService(deps: { tokens: AccessTokensRepository }) {
  return {
    async createSession(input: { tenantId: string; customerExternalId: string; ttlSeconds: number; baseUrl: string }) {
      const token = secret('pt');
      const code = secret('pc');
      const expiresAt = new Date(Date.now() + input.ttlSeconds * 1000);
      const row = await deps.tokens.createPortalToken({
        tenantId: input.tenantId,
        customerExternalId: input.customerExternalId,
        kind: 'api',
        tokenHash: hashOf(token),
        codeHash: hashOf(code),
        codeExpiresAt: new Date(Date.now() + Math.min(PORTAL_CODE_TTL_SECONDS, input.ttlSeconds) * 1000),
        expiresAt,
      });
      // The session id is public (it only selects the tenant's frame-ancestors); the code is the secret.
      const url = `${input.baseUrl}/portal?session=${row.id}#code=${code}`;
      return { url, token, expiresAt: expiresAt.toISOString() };
    },

    async exchangeCode(code: string) {
      const row = code.startsWith('pc_') ? await deps.tokens.takePortalCode(hashOf(code)) : undefined;
      if (!row) {
        throw new AppError(
          'unauthorized',
          401,
          'This portal link was already used or has expired: open the portal again.',
        );
      }
      const token = secret('pt');
      await deps.tokens.createPortalToken({
        tenantId: row.tenantId,
        customerExternalId: row.customerExternalId,
        kind: 'browser',
        tokenHash: hashOf(token),
        codeHash: null,
        codeExpiresAt: null,
        expiresAt: row.expiresAt,
      });
      return { token, expiresAt: row.expiresAt.toISOString(), customerExternalId: row.customerExternalId };
    },

    async authenticate(token: string): Promise<CustomerPrincipal | undefined> {
      if (!token.startsWith('pt_')) return undefined;
      const row = await deps.tokens.findPortalToken(hashOf(token));
      if (!row) return undefined;
      return { kind: 'customer', tenantId: row.tenantId, customerExternalId: row.customerExternalId, tokenId: row.id };
    },

    revokeCustomer: (tenantId: string, customerExternalId: string) =>
      deps.tokens.revokeCustomerTokens(tenantId, customerExternalId),

    /** The tenant of a portal URL's session id (from its query string: anything may come). */
    tenantOfSession: async (sessionId: string) =>
      idFilterSchema.safeParse(sessionId).success ? deps.tokens.portalTokenTenant(sessionId) : undefined,
  };
}

export type PortalService = ReturnType<typeof createPortalService>;
