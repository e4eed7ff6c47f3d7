import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Scope } from '@sluice/contracts/tenants';
import type { TenantsRepository } from '@sluice/db/repositories/tenants-repository';
import { notFound } from '@sluice/errors/app-error';

export type Principal =
  | { kind: 'operator' }
  | { kind: 'tenant'; tenantId: string; keyId: string; scopes: readonly Scope[] };

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

// 32 random bytes: a plain SHA-256 of such a key is as good as a slow hash, and lets
// every request find its key with one indexed lookup.
const generateKey = (): string => `sk_${randomBytes(32).toString('base64url')}`;

export function createApiKeyService(deps: { tenants: TenantsRepository; operatorApiKey: string | undefined }) {
  const operatorKeyHash = deps.operatorApiKey ? sha256(deps.operatorApiKey) : undefined;

  return {
    async createKey(tenantId: string, input: { name: string; scopes: Scope[] }) {
      if (!(await deps.tenants.exists(tenantId))) throw notFound('Tenant');
      const key = generateKey();
      const row = await deps.tenants.createApiKey({
        tenantId,
        name: input.name,
        scopes: input.scopes,
        keyHash: sha256(key).toString('hex'),
      });
      return { id: row.id, key, name: row.name, scopes: input.scopes, createdAt: row.createdAt.toISOString() };
    },

    async revokeKey(keyId: string): Promise<void> {
      if (!(await deps.tenants.revokeApiKey(keyId))) throw notFound('API key');
    },

    /** The principal a bearer token stands for, or undefined for a missing, unknown or revoked key. */
    async authenticate(token: string): Promise<Principal | undefined> {
      const hash = sha256(token);
      if (operatorKeyHash && timingSafeEqual(hash, operatorKeyHash)) return { kind: 'operator' };
      if (!token.startsWith('sk_')) return undefined;
      const row = await deps.tenants.findActiveKeyByHash(hash.toString('hex'));
      if (!row) return undefined;
      return { kind: 'tenant', tenantId: row.tenantId, keyId: row.id, scopes: row.scopes as Scope[] };
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
