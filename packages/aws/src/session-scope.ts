import { createHash } from 'node:crypto';

/**
 * What a destination's role session may do, and what it says about itself. The customer's role
 * may allow more (a role shared by several destinations, or broader than it should be); the
 * session policy narrows every session Sluice holds to the destination's own actions on its
 * one resource, and the session tags name the tenant and destination in the customer's
 * CloudTrail (the AssumeRole event), beside the session name.
 */

export interface SessionScope {
  /** The IAM actions the destination needs (its adapter's iamPermissions). */
  actions: string[];
  /** The queue, topic or stream ARN. */
  resource: string;
  /** 'sqs', 'sns' or 'kinesis', and the region: KMS is allowed only through that service there. */
  service: string;
  region: string;
}

export interface SessionTag {
  Key: string;
  Value: string;
}

/**
 * The session policy: the destination's actions on its resource, and KMS data keys only when
 * the service asks for them on the destination's behalf (a queue, topic or stream encrypted
 * with a customer key needs kms:GenerateDataKey and kms:Decrypt).
 */
export function sessionPolicy(scope: SessionScope): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'Destination', Effect: 'Allow', Action: scope.actions, Resource: scope.resource },
      {
        Sid: 'DestinationEncryption',
        Effect: 'Allow',
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: '*',
        Condition: { StringEquals: { 'kms:ViaService': `${scope.service}.${scope.region}.amazonaws.com` } },
      },
    ],
  });
}

/** For sessions whose credentials are never used (the ExternalId check): they can do nothing. */
export const DENY_ALL_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }],
});

// STS allows these characters in tag keys and values.
const tagValue = (value: string) => value.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '-').slice(0, 256);

export function sessionTags(session: { tenantId: string; destinationId?: string | undefined }): SessionTag[] {
  return [
    { Key: 'sluice:tenant', Value: tagValue(session.tenantId) },
    ...(session.destinationId ? [{ Key: 'sluice:destination', Value: tagValue(session.destinationId) }] : []),
  ];
}

/** Distinguishes sessions of one role and ExternalId that differ in policy or tags. */
export function scopeDigest(policy: string | undefined, tags: SessionTag[]): string {
  return createHash('sha256')
    .update(JSON.stringify([policy ?? null, tags]))
    .digest('hex')
    .slice(0, 16);
}
