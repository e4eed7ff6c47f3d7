import { type AwsIdentity, trustPrincipalOf } from './service-identity.ts';

/**
 * The IAM trust policy a customer attaches to the role Sluice assumes: only Sluice's principal,
 * and only with the ExternalId Sluice generated for that destination (the confused-deputy
 * guard: another Sluice tenant naming the same role cannot pass its own ExternalId). It also
 * allows sts:TagSession, so Sluice can tag each session with the tenant and destination.
 */

export interface TrustPolicy {
  Version: '2012-10-17';
  Statement: Array<{
    Effect: 'Allow';
    Principal: { AWS: string };
    Action: ['sts:AssumeRole', 'sts:TagSession'];
    Condition: { StringEquals: { 'sts:ExternalId': string } };
  }>;
}

export type TrustPrincipalStyle =
  /** The exact role or user Sluice runs as: the narrowest grant. */
  | 'caller'
  /** Sluice's whole account (`arn:aws:iam::<account>:root`): survives Sluice changing roles. */
  | 'account';

/**
 * The principal to name: the role behind an assumed-role session (a role with an IAM path must
 * be named with that path, which STS does not report; use 'account' then), or the account root.
 */
export function trustPrincipal(identity: AwsIdentity, style: TrustPrincipalStyle = 'caller'): string {
  const partition = /^arn:([\w-]+):/.exec(identity.arn)?.[1] ?? 'aws';
  const accountRoot = `arn:${partition}:iam::${identity.account}:root`;
  if (style === 'account') return accountRoot;
  return trustPrincipalOf(identity.arn);
}

export function buildTrustPolicy(input: {
  identity: AwsIdentity;
  externalId: string;
  style?: TrustPrincipalStyle;
}): TrustPolicy {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: trustPrincipal(input.identity, input.style) },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: { StringEquals: { 'sts:ExternalId': input.externalId } },
      },
    ],
  };
}

/** The policy as customers paste it into the IAM console. */
export function trustPolicyJson(input: Parameters<typeof buildTrustPolicy>[0]): string {
  return JSON.stringify(buildTrustPolicy(input), null, 2);
}
