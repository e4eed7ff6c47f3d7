import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Scope } from '@sluice/contracts/tenants';
import type { TenantsRepository } from '@sluice/db/repositories/tenants-repository';
import { notFound } from '@sluice/errors/app-error';

export type Principal =
  | { kind: 'operator' }
  | { kind: 'tenant'; tenantId: string; keyId: string; scopes: readonly Scope[] }
  /** A portal token: admin of one customer of one tenant (see portal-service.ts). */
  | { kind: 'customer'; tenantId: string; customerExternalId: string; tokenId: string };

export const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

// 32 random bytes: a plain SHA-256 of such a key is as good as a slow hash, and lets
// every request find its key with one indexed lookup.
const generateKey = (): string => `sk_${randomBytes(32).toString('base64url')}`;

/**
 * Tenant keys found in PostgreSQL are remembered for a moment: without this every request pays
 * a database round trip before its real work, a third of the API's statements at ingest rates.
 * A revocation through this process forgets the key at once; another API process may accept a
 * revoked key for at most this long. Unknown keys are not remembered, so a new key works at once.
 */
export const KEY_CACHE_TTL_MS = 2_000;
const KEY_CACHE_MAX_ENTRIES = 10_000;

type TenantPrincipal = Extract<Principal, { kind: 'tenant' }>;

export function createApiKeyService(deps: { tenants: TenantsRepository; operatorApiKey: string | undefined }) {
  const operatorKeyHash = deps.operatorApiKey ? sha256(deps.operatorApiKey) : undefined;
  const isOperatorKeyHash = (hash: Buffer) => operatorKeyHash !== undefined && timingSafeEqual(hash, operatorKeyHash);
  // By key hash. The lookup itself is cached, so concurrent first requests share one query.
  const known = new Map<string, { expiresAt: number; lookup: Promise<TenantPrincipal | undefined> }>();

  function lookUp(keyHash: string): Promise<TenantPrincipal | undefined> {
    const hit = known.get(keyHash);
    if (hit && hit.expiresAt > Date.now()) return hit.lookup;
    const lookup = deps.tenants
      .findActiveKeyByHash(keyHash)
      .then((row) =>
        row
          ? { kind: 'tenant' as const, tenantId: row.tenantId, keyId: row.id, scopes: row.scopes as Scope[] }
          : undefined,
      );
    const entry = { expiresAt: Date.now() + KEY_CACHE_TTL_MS, lookup };
    known.delete(keyHash);
    known.set(keyHash, entry);
    if (known.size > KEY_CACHE_MAX_ENTRIES) known.delete(known.keys().next().value!);
    const forget = () => {
      if (known.get(keyHash) === entry) known.delete(keyHash);
    };
    lookup.then((principal) => principal ?? forget(), forget);
    return lookup;
  }

  return {
    /** True while `hash` is the SHA-256 of the current OPERATOR_API_KEY (console sessions end with a rotation). */
    isOperatorKeyHash,

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
      const revoked = await deps.tenants.revokeApiKey(keyId);
      // Drops this process's copy at once, including one whose lookup is still in flight.
      for (const [keyHash, entry] of known) {
        if ((await entry.lookup.catch(() => undefined))?.keyId === keyId) known.delete(keyHash);
      }
      if (!revoked) throw notFound('API key');
    },

    /** The principal a bearer token stands for, or undefined for a missing, unknown or revoked key. */
    async authenticate(token: string): Promise<Principal | undefined> {
      const hash = sha256(token);
      if (isOperatorKeyHash(hash)) return { kind: 'operator' };
      if (!token.startsWith('sk_')) return undefined;
      return lookUp(hash.toString('hex'));
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
