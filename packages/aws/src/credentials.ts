import { createHash } from 'node:crypto';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { traceAwsCalls } from './call-tracing.ts';
import { createHttpHandler } from './http-handler.ts';

/**
 * Turns a destination's auth into AWS credentials. `assume_role` calls STS AssumeRole with the
 * destination's ExternalId and caches the session per role and ExternalId until shortly before
 * it expires; `access_key` uses the pair the caller decrypted.
 *
 * The cache is our own rather than the SDK's fromTemporaryCredentials because we need to drop
 * one role's entry when STS denies it (so a fixed trust policy works on the next try) and to
 * share one session between every client of that role, whatever its region.
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

export interface AwsIdentity {
  account: string;
  arn: string;
  userId: string;
}

/** AssumeRole failed; `code` is STS's error code (AccessDenied, RegionDisabledException, ...). */
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
  maxCachedRoles?: number;
  now?: () => number;
}

export interface CredentialBroker {
  forDestination(auth: DestinationAuth, session: { tenantId: string }): DestinationCredentials;
  /** The service's own principal (STS GetCallerIdentity), for the trust policy customers paste. */
  serviceIdentity(): Promise<AwsIdentity>;
  /** Who a destination's credentials act as; assumes the role first when needed. */
  identityOf(credentials: DestinationCredentials): Promise<AwsIdentity>;
  cachedRoleCount(): number;
  destroy(): void;
}

interface RoleSession {
  current?: AwsCredentialIdentity & { expiration: Date };
  issuedAt?: number;
  pending?: Promise<AwsCredentialIdentity>;
}

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
  const maxCachedRoles = options.maxCachedRoles ?? 1000;
  const sessions = new Map<string, RoleSession>();
  const sts = new STSClient({
    region: options.region,
    endpoint: options.stsEndpoint,
    credentials: options.serviceCredentials,
    requestHandler: createHttpHandler(),
    maxAttempts: 1,
  });
  traceAwsCalls(sts.middlewareStack, 'STS', options.region);
  let identity: Promise<AwsIdentity> | undefined;

  function serviceIdentity(): Promise<AwsIdentity> {
    identity ??= callerIdentity(sts).catch((error: unknown) => {
      identity = undefined;
      throw error;
    });
    return identity;
  }

  async function describeDenial(roleArn: string, externalId: string): Promise<string> {
    const principal = await serviceIdentity().then(
      (me) => trustPrincipalOf(me.arn),
      () => "Sluice's AWS principal",
    );
    return (
      `STS AccessDenied: Sluice could not assume ${roleArn}. The role's trust policy must allow principal ` +
      `${principal} to call sts:AssumeRole with the condition StringEquals sts:ExternalId = ${externalId} ` +
      '(IAM changes can take a few seconds to apply).'
    );
  }

  async function assume(key: string, roleArn: string, externalId: string, sessionName: string) {
    try {
      const answer = await sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          ExternalId: externalId,
          RoleSessionName: sessionName,
          DurationSeconds: durationSeconds,
        }),
      );
      const issued = answer.Credentials;
      if (!issued?.AccessKeyId || !issued.SecretAccessKey || !issued.Expiration) {
        throw new Error('STS answered AssumeRole without credentials');
      }
      const credentials = {
        accessKeyId: issued.AccessKeyId,
        secretAccessKey: issued.SecretAccessKey,
        sessionToken: issued.SessionToken,
        expiration: issued.Expiration,
      };
      sessions.set(key, { current: credentials, issuedAt: now() });
      return credentials;
    } catch (error) {
      // Whatever went wrong, the next call asks STS again: after AccessDenied that is what lets a
      // corrected trust policy take effect without a restart.
      sessions.delete(key);
      const code = errorCode(error);
      const message =
        code === 'AccessDenied'
          ? await describeDenial(roleArn, externalId)
          : `STS ${code} while assuming ${roleArn}: ${error instanceof Error ? error.message : String(error)}`;
      throw new AssumeRoleError({ code, status: httpStatus(error), roleArn, message, cause: error });
    }
  }

  function roleProvider(key: string, roleArn: string, externalId: string, sessionName: string) {
    return async (): Promise<AwsCredentialIdentity> => {
      const session = sessions.get(key) ?? {};
      const { current, issuedAt } = session;
      if (current && issuedAt !== undefined) {
        const lifetime = current.expiration.getTime() - issuedAt;
        if (current.expiration.getTime() - Math.min(marginMs, lifetime / 2) > now()) return current;
      }
      if (session.pending) return session.pending;
      const pending = assume(key, roleArn, externalId, sessionName).catch((error: unknown) => {
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
        const oldest = sessions.keys().next().value;
        if (oldest === undefined) break;
        sessions.delete(oldest);
      }
      return pending;
    };
  }

  return {
    forDestination(auth, { tenantId }) {
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
      const key = `role:${auth.roleArn}:${auth.externalId}`;
      return {
        mode: 'assume_role',
        cacheKey: key,
        principal: auth.roleArn,
        externalId: auth.externalId,
        provider: roleProvider(key, auth.roleArn, auth.externalId, roleSessionName(tenantId)),
        invalidate: () => void sessions.delete(key),
      };
    },
    serviceIdentity,
    async identityOf(credentials) {
      const client = new STSClient({
        region: options.region,
        endpoint: options.stsEndpoint,
        credentials: credentials.provider,
        requestHandler: createHttpHandler(),
        maxAttempts: 1,
      });
      traceAwsCalls(client.middlewareStack, 'STS', options.region);
      try {
        return await callerIdentity(client);
      } finally {
        client.destroy();
      }
    },
    cachedRoleCount: () => sessions.size,
    destroy: () => {
      sessions.clear();
      sts.destroy();
    },
  };
}

async function callerIdentity(client: STSClient): Promise<AwsIdentity> {
  const answer = await client.send(new GetCallerIdentityCommand({}));
  if (!answer.Account || !answer.Arn) throw new Error('STS answered GetCallerIdentity without an identity');
  return { account: answer.Account, arn: answer.Arn, userId: answer.UserId ?? '' };
}

/**
 * The principal a customer's trust policy should name for a caller ARN: an assumed-role session
 * becomes its role (sessions cannot be principals); users and roles stay as they are.
 */
export function trustPrincipalOf(callerArn: string): string {
  const assumed = /^arn:([\w-]+):sts::(\d+):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
  if (assumed) return `arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}`;
  return callerArn;
}

function errorCode(error: unknown): string {
  if (error instanceof Error) return error.name === 'Error' ? 'Unknown' : error.name;
  return 'Unknown';
}

function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('$metadata' in error)) return undefined;
  const metadata = error.$metadata;
  if (typeof metadata !== 'object' || metadata === null || !('httpStatusCode' in metadata)) return undefined;
  return typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}
