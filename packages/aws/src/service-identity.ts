import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';

/**
 * Who Sluice itself is in AWS (STS GetCallerIdentity): the principal customers' trust policies
 * name, and the account whose roles Sluice refuses to assume for a tenant.
 */

export interface AwsIdentity {
  account: string;
  arn: string;
  userId: string;
}

/** After a failed lookup, the next one waits this long: a dead STS must not slow every request. */
export const IDENTITY_RETRY_MS = 60_000;

export async function callerIdentity(client: STSClient): Promise<AwsIdentity> {
  const answer = await client.send(new GetCallerIdentityCommand({}));
  if (!answer.Account || !answer.Arn) throw new Error('STS answered GetCallerIdentity without an identity');
  return { account: answer.Account, arn: answer.Arn, userId: answer.UserId ?? '' };
}

/**
 * The identity, asked once and kept; a failure is remembered for IDENTITY_RETRY_MS (callers get
 * that failure at once meanwhile), after which STS is asked again.
 */
export function cachedIdentity(lookup: () => Promise<AwsIdentity>, now: () => number): () => Promise<AwsIdentity> {
  let identity: Promise<AwsIdentity> | undefined;
  let failure: { at: number; error: unknown } | undefined;
  return () => {
    if (identity) return identity;
    if (failure && now() - failure.at < IDENTITY_RETRY_MS) return Promise.reject(failure.error);
    identity = lookup().catch((error: unknown) => {
      identity = undefined;
      failure = { at: now(), error };
      throw error;
    });
    return identity;
  };
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

/** The account of an IAM or STS ARN (`arn:aws:iam::<account>:role/...`). */
export function accountOfArn(arn: string): string | undefined {
  return arn.split(':')[4] || undefined;
}
