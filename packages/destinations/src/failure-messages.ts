import type { DescribeFailure } from './error-classification.ts';

/**
 * Words a classified failure so the tenant knows what to change: which principal lacks which
 * permission on which resource, which resource is missing, or that nothing needs doing
 * because the delivery will be retried.
 */

export interface FailureTarget {
  /** 'SQS', 'SNS', 'Kinesis'. */
  service: string;
  /** The IAM action the send needs, e.g. sqs:SendMessage. */
  action: string;
  /** ARN (or URL) of the queue, topic or stream. */
  resource: string | undefined;
  /** Role ARN or access key id the call was made as. */
  principal: string | undefined;
  /** What the resource is called in a sentence: 'queue', 'topic', 'stream'. */
  noun: string;
  region: string | undefined;
}

export function describeAwsFailure(target: FailureTarget): DescribeFailure {
  const who = target.principal ? `the role or key ${target.principal}` : "the destination's credentials";
  const what = target.resource ? `the ${target.noun} ${target.resource}` : `the ${target.noun}`;
  const where = target.region ? ` in ${target.region}` : '';
  const service = target.service;

  return (category, facts) => {
    const code = facts.code;
    const detail = facts.message ? ` (${facts.message})` : '';
    switch (category) {
      case 'access_denied':
        return (
          `${service} ${code}: ${who} cannot ${target.action} on ${what}. Allow ${target.action} on it in the ` +
          `role's or user's IAM policy, and in the ${target.noun}'s resource policy if it is in another account.${detail}`
        );
      case 'invalid_credentials':
        return `${service} ${code}: AWS does not accept the credentials of ${who}; check the access key or role.${detail}`;
      case 'not_found':
        return `${service} ${code}: ${what} does not exist${where}, or belongs to an account ${who} cannot see.${detail}`;
      case 'kms':
        return (
          `${service} ${code}: the KMS key that encrypts ${what} refused the request. Allow ${who} ` +
          `kms:GenerateDataKey and kms:Decrypt on the key, and check that the key is enabled.${detail}`
        );
      case 'throttled':
        return `${service} throttled the request (${code}); it will be retried.${detail}`;
      case 'batch_too_large':
        return `${service} refused the call as too large (${code}); it is split and sent again.${detail}`;
      case 'too_large':
        return `${service} refused the message as too large for ${what} (${code}).${detail}`;
      case 'expired_credentials':
        return `${service} ${code}: the session credentials expired; they are renewed before the retry.${detail}`;
      case 'invalid_request':
        return `${service} rejected the message (${code}).${detail}`;
      case 'server_error':
        return `${service} failed with a server error (${code}); it will be retried.${detail}`;
      case 'network':
        return `Could not reach ${service}${where} (${code}); it will be retried.${detail}`;
      case 'unknown_client_error':
        return `${service} refused the request (${code}).${detail}`;
      case 'unknown':
        return `${service} call failed (${code}); it will be retried.${detail}`;
      // Decided by Sluice before any call (prepare-messages.ts), never by a provider's answer.
      case 'transform_failed':
      case 'transform_deferred':
        return facts.message;
    }
  };
}
