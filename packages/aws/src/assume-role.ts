import { randomBytes } from 'node:crypto';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { DENY_ALL_POLICY, type SessionTag } from './session-scope.ts';

/** One STS AssumeRole call, and what its failures say (credentials.ts caches and explains them). */

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

export interface RoleRequest {
  roleArn: string;
  externalId: string;
  sessionName: string;
  policy: string | undefined;
  tags: SessionTag[];
}

/** How a role answers AssumeRole with an ExternalId that is not the destination's. */
export type WrongExternalIdAnswer = 'refused' | 'accepted' | 'unknown';

export async function issueSession(
  sts: STSClient,
  request: RoleRequest,
  options: { tagged: boolean; durationSeconds: number },
) {
  const answer = await sts.send(
    new AssumeRoleCommand({
      RoleArn: request.roleArn,
      ExternalId: request.externalId,
      RoleSessionName: request.sessionName,
      DurationSeconds: options.durationSeconds,
      Policy: request.policy,
      Tags: options.tagged ? request.tags : undefined,
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

/**
 * AssumeRole with a random ExternalId and a session policy that denies everything (the session,
 * if issued, is dropped): a role that accepts it has no sts:ExternalId condition.
 */
export async function checkExternalId(sts: STSClient, roleArn: string): Promise<WrongExternalIdAnswer> {
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
}

// Node's network codes and the SDK's timeouts: their messages name hosts and ports, not the role.
export const isNetworkCode = (code: string) => /^E[A-Z_]+$|^TimeoutError$|^AbortError$/.test(code);

export function errorCode(error: unknown): string {
  if (!(error instanceof Error)) return 'Unknown';
  const code: unknown = Reflect.get(error, 'code');
  if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
  return error.name === 'Error' ? 'Unknown' : error.name;
}

export const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('$metadata' in error)) return undefined;
  const metadata = error.$metadata;
  if (typeof metadata !== 'object' || metadata === null || !('httpStatusCode' in metadata)) return undefined;
  return typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}
