import { createHash } from 'node:crypto';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import {
  AssumeRoleError,
  checkExternalId,
  errorCode,
  errorMessage,
  httpStatus,
  isNetworkCode,
  issueSession,
  type RoleRequest,
  type WrongExternalIdAnswer,
} from './assume-role.ts';
import { traceAwsCalls } from './call-tracing.ts';
import { createHttpHandler } from './http-handler.ts';
import {
  type AwsIdentity,
  accountOfArn,
  cachedIdentity,
  callerIdentity,
  trustPrincipalOf,
} from './service-identity.ts';
import { type SessionScope, scopeDigest, sessionPolicy, sessionTags } from './session-scope.ts';

/**
 * Turns a destination's auth into AWS credentials. `assume_role` calls STS AssumeRole with the
 * destination's ExternalId, a session policy narrowed to the destination and session tags
 * naming it, and caches the session until shortly before it expires; `access_key` uses the
 * pair the caller decrypted. Roles in Sluice's own account are never assumed for a tenant.
 *
 * The cache is our own rather than the SDK's fromTemporaryCredentials because we need to drop
 * one entry when STS denies it (so a fixed trust policy works on the next try) and to share one
 * session between every client of that destination, whatever its region.
 */

export type DestinationAuth =
  | { mode: 'assume_role'; roleArn: string; externalId: string }
  | { mode: 'access_key'; accessKeyId: string; secretAccessKey: string };

export interface DestinationCredentials {
  readonly mode: DestinationAuth['mode'];
  /** Identifies the credentials for client caching; contains no secret. */
  readonly cacheKey: string;
  /** The role ARN or the access key id: who the destination's calls are made as. */
  readonly principal: string;
  readonly externalId?: string;
  readonly provider: AwsCredentialIdentityProvider;
  /** Forgets the cached session (after ExpiredToken) so the next call assumes the role again. */
  invalidate(): void;
}

export interface CredentialBrokerOptions {
  /** Region of the STS client (the service's AWS_REGION). */
  region: string;
  /** AWS_ENDPOINT_URL_STS. */
  stsEndpoint?: string;
  /** The service's own identity for calling STS; the SDK's default chain when absent. */
  serviceCredentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** AssumeRole DurationSeconds; 900 is STS's minimum and keeps a leaked session short-lived. */
  sessionDurationSeconds?: number;
  /** Refresh this long before expiry (capped at half the session's lifetime). */
  refreshMarginSeconds?: number;
  /** Sessions kept (AWS_ROLE_SESSION_CACHE_SIZE); beyond it the least recently used is assumed again when needed. */
  maxCachedRoles?: number;
  now?: () => number;
}

/** Who a session is for: the tenant (session name and tag), the destination (tag) and what it may do. */
export interface SessionContext {
  tenantId: string;
  destinationId?: string | undefined;
  scope?: SessionScope | undefined;
}

export interface CredentialBroker {
  forDestination(auth: DestinationAuth, session: SessionContext): DestinationCredentials;
  /** The service's own principal (STS GetCallerIdentity), for the trust policy customers paste. */
  serviceIdentity(): Promise<AwsIdentity>;
  /** Who a destination's credentials act as; assumes the role first when needed. */
  identityOf(credentials: DestinationCredentials): Promise<AwsIdentity>;
  /**
   * Tries AssumeRole with a random ExternalId (and a session policy that denies everything):
   * a role that accepts it has no sts:ExternalId condition, so any Sluice tenant could name it.
   */
  checkExternalId(roleArn: string): Promise<WrongExternalIdAnswer>;
  cachedRoleCount(): number;
  destroy(): void;
}

interface RoleSession {
  current?: AwsCredentialIdentity & { expiration: Date };
  issuedAt?: number;
  pending?: Promise<AwsCredentialIdentity>;
}

export const DEFAULT_MAX_CACHED_ROLES = 10_000;

/** STS allows `[\w+=,.@-]`, 2 to 64 characters. */
export function roleSessionName(tenantId: string): string {
  const name = `sluice-${tenantId}`.replace(/[^\w+=,.@-]/g, '-');
  return name.slice(0, 64);
}

const fingerprint = (secret: string) => createHash('sha256').update(secret).digest('hex').slice(0, 16);

export function createCredentialBroker(options: CredentialBrokerOptions): CredentialBroker {
  const now = options.now ?? Date.now;
  const durationSeconds = options.sessionDurationSeconds ?? 900;
  const marginMs = (options.refreshMarginSeconds ?? 300) * 1000;
  const maxCachedRoles = options.maxCachedRoles ?? DEFAULT_MAX_CACHED_ROLES;
  const sessions = new Map<string, RoleSession>();
  // Sessions whose role trusts Sluice for sts:AssumeRole but not sts:TagSession (older trust policies).
  const untagged = new Set<string>();
  const stsClient = (credentials: CredentialBrokerOptions['serviceCredentials']) => {
    const client = new STSClient({
      region: options.region,
      endpoint: options.stsEndpoint,
      credentials,
      requestHandler: createHttpHandler(),
      maxAttempts: 1,
    });
    traceAwsCalls(client.middlewareStack, 'STS', options.region);
    return client;
  };
  const sts = stsClient(options.serviceCredentials);
  const serviceIdentity = cachedIdentity(() => callerIdentity(sts), now);

  async function describeDenial(roleArn: string, externalId: string): Promise<string> {
    const principal = await serviceIdentity().then(
      (me) => trustPrincipalOf(me.arn),
      () => "Sluice's AWS principal",
    );
    return (
      `STS AccessDenied: Sluice could not assume ${roleArn}. The role's trust policy must allow principal ` +
      `${principal} to call sts:AssumeRole and sts:TagSession with the condition StringEquals sts:ExternalId = ${externalId} ` +
      '(IAM changes can take a few seconds to apply).'
    );
  }

  async function refuseServiceAccount(roleArn: string): Promise<void> {
    const me = await serviceIdentity().catch((error: unknown) => {
      // Sluice's own identity failing is never the destination's fault: a code that retries.
      throw new AssumeRoleError({
        code: 'ServiceIdentityUnavailable',
        status: undefined,
        roleArn,
        message: `Sluice could not learn its own AWS account (STS GetCallerIdentity failed: ${errorCode(error)}), which it checks before assuming any role; it will be retried.`,
        cause: error,
      });
    });
    if (accountOfArn(roleArn) !== me.account) return;
    throw new AssumeRoleError({
      code: 'RoleInServiceAccount',
      status: undefined,
      roleArn,
      message: `${roleArn} is in Sluice's own AWS account; Sluice assumes only roles in its customers' accounts. Name a role in your own account.`,
      cause: undefined,
    });
  }

  async function assume(key: string, request: RoleRequest) {
    try {
      await refuseServiceAccount(request.roleArn);
      const tagged = request.tags.length > 0 && !untagged.has(key);
      const credentials = await issueSession(sts, request, { tagged, durationSeconds }).catch(
        async (error: unknown) => {
          if (!tagged || errorCode(error) !== 'AccessDenied' || !errorMessage(error).includes('sts:TagSession'))
            throw error;
          // A trust policy from before Sluice tagged its sessions allows sts:AssumeRole but not
          // sts:TagSession (STS names the action it refused): the session goes untagged rather than not at all.
          const withoutTags = await issueSession(sts, request, { tagged: false, durationSeconds });
          untagged.add(key);
          if (untagged.size > maxCachedRoles) untagged.delete(untagged.values().next().value ?? key);
          return withoutTags;
        },
      );
      sessions.set(key, { current: credentials, issuedAt: now() });
      return credentials;
    } catch (error) {
      // Whatever went wrong, the next call asks STS again: after AccessDenied that is what lets a
      // corrected trust policy take effect without a restart.
      sessions.delete(key);
      if (error instanceof AssumeRoleError) throw error;
      const code = errorCode(error);
      const detail = isNetworkCode(code) ? '; it will be retried' : `: ${errorMessage(error)}`;
      const message =
        code === 'AccessDenied'
          ? await describeDenial(request.roleArn, request.externalId)
          : `STS ${code} while assuming ${request.roleArn}${detail}`;
      throw new AssumeRoleError({ code, status: httpStatus(error), roleArn: request.roleArn, message, cause: error });
    }
  }

  function roleProvider(key: string, request: RoleRequest) {
    return async (): Promise<AwsCredentialIdentity> => {
      const session = sessions.get(key) ?? {};
      const { current, issuedAt } = session;
      if (current && issuedAt !== undefined) {
        const lifetime = current.expiration.getTime() - issuedAt;
        if (current.expiration.getTime() - Math.min(marginMs, lifetime / 2) > now()) return current;
      }
      if (session.pending) return session.pending;
      const pending = assume(key, request).catch((error: unknown) => {
        // A refresh that fails for a passing reason (throttling, a timeout) keeps a session that is
        // still good for a while; a denial never does.
        const stillGood = current && issuedAt !== undefined && current.expiration.getTime() - 60_000 > now();
        if (!stillGood || (error instanceof AssumeRoleError && error.code === 'AccessDenied')) throw error;
        sessions.set(key, { current, issuedAt });
        return current;
      });
      sessions.delete(key); // re-insert: most recently used last
      sessions.set(key, { ...session, pending });
      while (sessions.size > maxCachedRoles) {
        const oldest = sessions.keys().next();
        if (oldest.done) break;
        sessions.delete(oldest.value);
      }
      return pending;
    };
  }

  return {
    forDestination(auth, session) {
      if (auth.mode === 'access_key') {
        const credentials = { accessKeyId: auth.accessKeyId, secretAccessKey: auth.secretAccessKey };
        return {
          mode: 'access_key',
          cacheKey: `key:${auth.accessKeyId}:${fingerprint(auth.secretAccessKey)}`,
          principal: auth.accessKeyId,
          provider: async () => credentials,
          invalidate: () => {},
        };
      }
      const policy = session.scope ? sessionPolicy(session.scope) : undefined;
      const tags = sessionTags(session);
      // Sessions of one role differ by destination (policy and tags): each has its own entry.
      const key = `role:${auth.roleArn}:${auth.externalId}:${scopeDigest(policy, tags)}`;
      const request = { ...auth, sessionName: roleSessionName(session.tenantId), policy, tags };
      return {
        mode: 'assume_role',
        cacheKey: key,
        principal: auth.roleArn,
        externalId: auth.externalId,
        provider: roleProvider(key, request),
        invalidate: () => void sessions.delete(key),
      };
    },
    serviceIdentity,
    async identityOf(credentials) {
      const client = stsClient(credentials.provider);
      try {
        return await callerIdentity(client);
      } finally {
        client.destroy();
      }
    },
    checkExternalId: (roleArn) => checkExternalId(sts, roleArn),
    cachedRoleCount: () => sessions.size,
    destroy: () => {
      sessions.clear();
      sts.destroy();
    },
  };
}
