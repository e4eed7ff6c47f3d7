import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Scope } from '@sluice/contracts/tenants';
import type { TenantsRepository } from '@sluice/db/repositories/tenants-repository';
import { notFound } from '@sluice/errors/app-error';
import { createLoadingCache } from './loading-cache.ts';

export type Principal =
  | { kind: 'operator' }
  | { kind: 'tenant'; tenantId: string; keyId: string; scopes: readonly Scope[] }
  /** A portal token: admin of one customer of one tenant (see portal-service.ts). */
  | { kind: 'customer'; tenantId: string; customerExternalId: string; tokenId: string };

export const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

// 32 random bytes: a plain SHA-256 of such a key is as good as a slow hash, and lets
// every request find its key with one indexed lookup.
const generateKey = (): string => `sk_${randomBytes(32).toString('base64url')}`;
// What generateKey makes; anything else is refused without a lookup.
const KEY_SHAPE = /^sk_[A-Za-z0-9_-]{43}$/;

/**
 * Keys are remembered by each API process, so ingest does not pay a lookup per request:
 * - a key found is kept for a minute; revocations reach every process sooner through the
 *   change poll (access-change-poller.ts, about three times a second), which makes it forget
 *   the key. While that poll is failing, nothing older than a second is trusted: a revoked key
 *   answers 401 everywhere within one second either way.
 * - a key not found is remembered for a few seconds, so a flood of bad keys is not a flood of
 *   queries (a new key cannot be among them: nobody knows it before it is created).
 */
const FOUND_TTL_MS = 60_000;
const UNCHECKED_TTL_MS = 1_000;
const NOT_FOUND_TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

type TenantPrincipal = Extract<Principal, { kind: 'tenant' }>;

export function createApiKeyService(deps: {
  tenants: TenantsRepository;
  operatorApiKey: string | undefined;
  /** True while this process hears of revocations promptly (the change poll succeeds). */
  revocationsAreCurrent: () => boolean;
  /** Told of every tenant key a request authenticated with (lastUsedAt). */
  onKeyUsed?: (keyId: string) => void;
}) {
  const operatorKeyHash = deps.operatorApiKey ? sha256(deps.operatorApiKey) : undefined;
  const isOperatorKeyHash = (hash: Buffer) => operatorKeyHash !== undefined && timingSafeEqual(hash, operatorKeyHash);
  const found = createLoadingCache<TenantPrincipal | null>({
    load: async (keyHash) => {
      const row = await deps.tenants.findActiveKeyByHash(keyHash);
      return row ? { kind: 'tenant', tenantId: row.tenantId, keyId: row.id, scopes: row.scopes as Scope[] } : null;
    },
    isFresh: (principal, ageMs) =>
      principal !== null && ageMs < (deps.revocationsAreCurrent() ? FOUND_TTL_MS : UNCHECKED_TTL_MS),
    maxEntries: MAX_ENTRIES,
  });
  // Kept apart from the keys found, so a flood of bad keys cannot push good ones out.
  const notFoundUntil = new Map<string, number>();

  async function lookUp(keyHash: string): Promise<TenantPrincipal | undefined> {
    const until = notFoundUntil.get(keyHash);
    if (until !== undefined && until > Date.now()) return undefined;
    const principal = await found.get(keyHash);
    if (principal) return principal;
    notFoundUntil.delete(keyHash);
    notFoundUntil.set(keyHash, Date.now() + NOT_FOUND_TTL_MS);
    if (notFoundUntil.size > MAX_ENTRIES) notFoundUntil.delete(notFoundUntil.keys().next().value!);
    return undefined;
  }

  /** Forgets these keys in this process: a revocation here or one the change poll reported. */
  function forgetKeys(keyIds: readonly string[]): void {
    const ids = new Set(keyIds);
    found.forget((principal) => principal !== null && ids.has(principal.keyId));
  }

  return {
    forgetKeys,
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
      forgetKeys([keyId]);
      if (!revoked) throw notFound('API key');
    },

    /** The principal a bearer token stands for, or undefined for a missing, unknown or revoked key. */
    async authenticate(token: string): Promise<Principal | undefined> {
      const hash = sha256(token);
      if (isOperatorKeyHash(hash)) return { kind: 'operator' };
      if (!KEY_SHAPE.test(token)) return undefined;
      const principal = await lookUp(hash.toString('hex'));
      if (principal) deps.onKeyUsed?.(principal.keyId);
      return principal;
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
