import type { WrongExternalIdAnswer } from '@sluice/aws/assume-role';
import type { DestinationCheck } from './types.ts';

/**
 * The confused-deputy check of an assume_role destination: Sluice tries the role with an
 * ExternalId that is not the destination's. A role that accepts it has no sts:ExternalId
 * condition, so any Sluice tenant naming it could have Sluice write as it; its deliveries are
 * held (resolver.ts) until the trust policy is fixed.
 */

export const TRUST_POLICY_WITHOUT_EXTERNAL_ID = 'trust_policy_without_external_id' as const;

/** What the tenant reads when its role accepts any ExternalId, with the fix. */
export function openTrustPolicyMessage(roleArn: string, externalId: string): string {
  return (
    `the role ${roleArn} accepts an ExternalId other than this destination's, so any Sluice tenant could ` +
    'have Sluice act as it (its trust policy has no sts:ExternalId condition). Add the condition ' +
    `StringEquals sts:ExternalId = ${externalId} to its trust policy`
  );
}

export function trustPolicyCheck(
  answer: WrongExternalIdAnswer,
  role: { roleArn: string; externalId: string },
): DestinationCheck {
  const name = 'trust_policy';
  if (answer === 'accepted') {
    const detail = openTrustPolicyMessage(role.roleArn, role.externalId);
    return { name, ok: false, detail: `${detail[0]?.toUpperCase()}${detail.slice(1)}.` };
  }
  if (answer === 'refused') {
    return { name, ok: true, detail: "The role refuses any ExternalId but this destination's." };
  }
  return { name, ok: true, detail: 'Not checked this time: STS did not answer the check (it runs again later).' };
}
