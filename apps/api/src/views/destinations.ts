import type { AwsIdentity } from '@sluice/aws/service-identity';
import { buildTrustPolicy } from '@sluice/aws/trust-policy';
import { resolveAlertRules } from '@sluice/contracts/alerts';
import type { DestinationHealthRow, DestinationRow } from '@sluice/db/schema/destinations';
import { DEFAULT_MAX_AGE_SECONDS } from '@sluice/delivery/retry-policy';
import { openTrustPolicyMessage, TRUST_POLICY_WITHOUT_EXTERNAL_ID } from '@sluice/destinations/trust-check';

/** A destination as clients see it: never the secret, always the ExternalId and trust policy. */
export function toDestinationView(
  row: DestinationRow,
  identity: AwsIdentity | undefined,
  health: DestinationHealthRow | undefined,
) {
  // The stored config was checked by its adapter: a FIFO queue's URL and topic's ARN end in .fifo.
  const resource = row.type === 'sqs' ? row.config.queueUrl : row.type === 'sns' ? row.config.topicArn : undefined;
  const isFifo = typeof resource === 'string' && resource.endsWith('.fifo');
  return {
    id: row.id,
    name: row.name,
    customerExternalId: row.customerExternalId,
    type: row.type,
    config: row.config,
    transform: row.transform,
    auth: authView(row, identity),
    eventTypes: row.eventTypes,
    enabled: row.enabled,
    status: !row.enabled ? ('disabled' as const) : row.pausedAt ? ('paused' as const) : ('active' as const),
    retry: { maxAttempts: row.retryMaxAttempts, maxAgeSeconds: row.retryMaxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS },
    rateLimit: row.rateLimitPerSecond === null ? null : { perSecond: row.rateLimitPerSecond },
    alerts: resolveAlertRules(row.alertRules),
    fifo: isFifo ? { onDeadLetter: row.fifoOnDeadLetter } : null,
    health: healthView(row, health),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * Paused and disabled come from the destination itself (nothing is sent); the rest is what the
 * drains last recorded. A destination nothing was sent to yet counts as healthy since its creation.
 */
function healthView(row: DestinationRow, health: DestinationHealthRow | undefined) {
  if (!row.enabled) {
    return { state: 'paused' as const, since: row.updatedAt.toISOString(), detail: 'Disabled: nothing is sent.' };
  }
  if (row.pausedAt) {
    return {
      state: 'paused' as const,
      since: row.pausedAt.toISOString(),
      detail: 'Paused: deliveries wait and are sent in order after resume.',
    };
  }
  if (!health) return { state: 'healthy' as const, since: row.createdAt.toISOString(), detail: 'Nothing sent yet.' };
  return { state: health.state, since: health.since.toISOString(), detail: health.detail };
}

// When Sluice cannot learn its own AWS identity (no credentials configured), the policy
// still shows its shape, with a principal that cannot be mistaken for a real one.
const unknownIdentity: AwsIdentity = {
  account: '000000000000',
  arn: 'arn:aws:iam::000000000000:root',
  userId: 'unknown',
};

function authView(row: DestinationRow, identity: AwsIdentity | undefined) {
  if (row.authMode === 'assume_role') {
    const externalId = row.externalId ?? '';
    const roleArn = row.roleArn ?? '';
    return {
      mode: 'assume_role' as const,
      roleArn,
      externalId,
      trustPolicy: { ...buildTrustPolicy({ identity: identity ?? unknownIdentity, externalId }) },
      trustPolicyProblem: row.trustPolicyOpenAt
        ? {
            code: TRUST_POLICY_WITHOUT_EXTERNAL_ID,
            message: `Deliveries are held: ${openTrustPolicyMessage(roleArn, externalId)}, then test the destination.`,
            since: row.trustPolicyOpenAt.toISOString(),
          }
        : null,
    };
  }
  return {
    mode: 'access_key' as const,
    accessKeyId: row.accessKeyId ?? '',
    secretAccessKey: null,
    secretHint: row.secretHint ?? '',
  };
}
