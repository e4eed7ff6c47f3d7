import { createHash, randomBytes } from 'node:crypto';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { createHttpHandler } from './http-handler.ts';
import {
  type AwsIdentity,
  accountOfArn,
  cachedIdentity,
  callerIdentity,
  trustPrincipalOf,
} from './service-identity.ts';
import {
  DENY_ALL_POLICY,
  type SessionScope,
  type SessionTag,
  scopeDigest,
  sessionPolicy,
  sessionTags,
} from './session-scope.ts';

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

/** AssumeRole failed; `code` is STS's error code (AccessDenied, RegionDisabledException, ...) or Sluice's. */
export class AssumeRoleError extends Error {
  readonly code: string;
  readonly status: number | undefined;
  readonly roleArn: string;

  constructor(init: { code: string; status: number | undefined; roleArn: string; message: string; cause: unknown }) {
    super(init.message, { cause: init.cause });
    this.name = 'AssumeRoleError';
    this.code = init.code;
    this.status = init.status;
    this.roleArn = init.roleArn;
  }
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

/** How a role answers AssumeRole with an ExternalId that is not the destination's. */
export type WrongExternalIdAnswer = 'refused' | 'accepted' | 'unknown';

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

interface RoleRequest {
  roleArn: string;
  externalId: string;
  sessionName: string;
  policy: string | undefined;
  tags: SessionTag[];
}

export const DEFAULT_MAX_CACHED_ROLES = 10_000;

/** STS allows `[\w+=,.@-]`, 2 to 64 characters. */
export function roleSessionName(tenantId: string): string {
  const name = `sluice-${tenantId}`.replace(/[^\w+=,.@-]/g, '-');
  return name.slice(0, 64);
}

const fingerprint = (secret: string) => createHash('sha256').update(secret).digest('hex').slice(0, 16);

// Node's network codes and the SDK's timeouts: their messages name hosts and ports, not the role.
const NETWORK_CODE = /^E[A-Z_]+$|^TimeoutError$|^AbortError$/;

export function createCredentialBroker(options: CredentialBrokerOptions): CredentialBroker {
  const now = options.now ?? Date.now;
  const durationSeconds = options.sessionDurationSeconds ?? 900;
  const marginMs = (options.refreshMarginSeconds ?? 300) * 1000;
  const maxCachedRoles = options.maxCachedRoles ?? DEFAULT_MAX_CACHED_ROLES;
  const sessions = new Map<string, RoleSession>();
  // Sessions whose role trusts Sluice for sts:AssumeRole but not sts:TagSession (older trust policies).
  const untagged = new Set<string>();
  const stsClient = (credentials: CredentialBrokerOptions['serviceCredentials']) =>
    new STSClient({
      region: options.region,
      endpoint: options.stsEndpoint,
      credentials,
      requestHandler: createHttpHandler(),
      maxAttempts: 1,
    });
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

  async function issue(request: RoleRequest, tagged: boolean) {
    const answer = await sts.send(
      new AssumeRoleCommand({
        RoleArn: request.roleArn,
        ExternalId: request.externalId,
        RoleSessionName: request.sessionName,
        DurationSeconds: durationSeconds,
        Policy: request.policy,
        Tags: tagged ? request.tags : undefined,
      }),
    );
    const issued = answer.Credentials;
    if (!issued?.AccessKeyId || !issued.SecretAccessKey || !issued.Expiration) {
      throw new Error('STS answered AssumeRole without credentials');
    }
    return {
      accessKeyId: issued.AccessKeyId,
      secretAccessKey: issued.SecretAccessKey,
      sessionToken: issued.SessionToken,
      expiration: issued.Expiration,
    };
  }

  async function assume(key: string, request: RoleRequest) {
    try {
      await refuseServiceAccount(request.roleArn);
      const tagged = request.tags.length > 0 && !untagged.has(key);
      const credentials = await issue(request, tagged).catch(async (error: unknown) => {
        if (!tagged || errorCode(error) !== 'AccessDenied' || !errorMessage(error).includes('sts:TagSession'))
          throw error;
        // A trust policy from before Sluice tagged its sessions allows sts:AssumeRole but not
        // sts:TagSession (STS names the action it refused): the session goes untagged rather than not at all.
        const withoutTags = await issue(request, false);
        untagged.add(key);
        if (untagged.size > maxCachedRoles) untagged.delete(untagged.values().next().value ?? key);
        return withoutTags;
      });
      sessions.set(key, { current: credentials, issuedAt: now() });
      return credentials;
    } catch (error) {
      // Whatever went wrong, the next call asks STS again: after AccessDenied that is what lets a
      // corrected trust policy take effect without a restart.
      sessions.delete(key);
      if (error instanceof AssumeRoleError) throw error;
      const code = errorCode(error);
      const detail = NETWORK_CODE.test(code) ? '; it will be retried' : `: ${errorMessage(error)}`;
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
    async checkExternalId(roleArn) {
      try {
        await sts.send(
          new AssumeRoleCommand({
            RoleArn: roleArn,
            ExternalId: `sluice-check-${randomBytes(24).toString('base64url')}`,
            RoleSessionName: 'sluice-external-id-check',
            DurationSeconds: 900,
            Policy: DENY_ALL_POLICY,
          }),
        );
        return 'accepted';
      } catch (error) {
        return errorCode(error) === 'AccessDenied' ? 'refused' : 'unknown';
      }
    },
    cachedRoleCount: () => sessions.size,
    destroy: () => {
      sessions.clear();
      sts.destroy();
    },
  };
}

function errorCode(error: unknown): string {
  if (!(error instanceof Error)) return 'Unknown';
  const code: unknown = Reflect.get(error, 'code');
  if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
  return error.name === 'Error' ? 'Unknown' : error.name;
}

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('$metadata' in error)) return undefined;
  const metadata = error.$metadata;
  if (typeof metadata !== 'object' || metadata === null || !('httpStatusCode' in metadata)) return undefined;
  return typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}
