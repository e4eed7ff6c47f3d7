import { randomBytes } from 'node:crypto';
import type { Scope } from '@sluice/contracts/tenants';
import type { AccessTokensRepository } from '@sluice/db/repositories/access-tokens-repository';
import { forbidden, unauthorized } from '@sluice/errors/app-error';
import { type ApiKeyService, type Principal, sha256 } from './api-key-service.ts';

/** A console session lasts this long; signing in again starts a new one. */
export const CONSOLE_SESSION_TTL_SECONDS = 3600;

const hashOf = (token: string) => sha256(token).toString('hex');

/**
 * Console sign-in: the operator key or a tenant admin key is exchanged once for a random
 * session token that lives only in an HttpOnly cookie; the key itself is never stored in the
 * browser. Sessions end at expiry, at sign-out, when the tenant key is revoked, or when the
 * OPERATOR_API_KEY changes.
 */
export function createConsoleSessionService(deps: { tokens: AccessTokensRepository; apiKeys: ApiKeyService }) {
  return {
    async signIn(key: string): Promise<{ token: string; expiresAt: Date; principal: Principal }> {
      const principal = await deps.apiKeys.authenticate(key);
      if (!principal) throw unauthorized('The key is unknown or revoked.');
      if (principal.kind === 'customer') throw forbidden('Portal tokens open the customer portal, not the console.');
      if (principal.kind === 'tenant' && !principal.scopes.includes('admin')) {
        throw forbidden('Sign in with the operator key or an API key with the admin scope.');
      }
      const token = `cs_${randomBytes(32).toString('base64url')}`;
      const expiresAt = new Date(Date.now() + CONSOLE_SESSION_TTL_SECONDS * 1000);
      await deps.tokens.createConsoleSession({
        tokenHash: hashOf(token),
        kind: principal.kind,
        tenantId: principal.kind === 'tenant' ? principal.tenantId : null,
        apiKeyId: principal.kind === 'tenant' ? principal.keyId : null,
        operatorKeyHash: principal.kind === 'operator' ? hashOf(key) : null,
        expiresAt,
      });
      return { token, expiresAt, principal };
    },

    async authenticate(token: string): Promise<{ principal: Principal; expiresAt: Date } | undefined> {
      if (!token.startsWith('cs_')) return undefined;
      const session = await deps.tokens.findConsoleSession(hashOf(token));
      if (!session) return undefined;
      if (session.kind === 'operator') {
        const current =
          session.operatorKeyHash && deps.apiKeys.isOperatorKeyHash(Buffer.from(session.operatorKeyHash, 'hex'));
        return current ? { principal: { kind: 'operator' }, expiresAt: session.expiresAt } : undefined;
      }
      if (!session.tenantId || !session.apiKeyId) return undefined;
      return {
        principal: {
          kind: 'tenant',
          tenantId: session.tenantId,
          keyId: session.apiKeyId,
          scopes: session.scopes.filter((scope): scope is Scope => scope === 'admin' || scope === 'ingest'),
        },
        expiresAt: session.expiresAt,
      };
    },

    signOut: (token: string) => deps.tokens.deleteConsoleSession(hashOf(token)),
  };
}

export type ConsoleSessionService = ReturnType<typeof createConsoleSessionService>;
