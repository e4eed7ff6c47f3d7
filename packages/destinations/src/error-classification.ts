import { AssumeRoleError } from '@sluice/aws/assume-role';
import { withoutInternalDetails } from './internal-details.ts';
import type { DeliveryFailure, FailureKind, ProbeResult } from './types.ts';

/**
 * Whether an AWS failure is worth retrying. Retrying what cannot succeed fills the retry queue
 * for 24 hours; dead-lettering what would have succeeded a second later loses a delivery, so
 * unknown server-side and network failures count as transient and unknown 4xx as permanent.
 */

export interface ErrorFacts {
  code: string;
  status: number | undefined;
  /** The provider's or Node's own words, without Sluice's internal hosts and addresses (tenants read it). */
  message: string;
  /** SQS/SNS batch entries say whether the sender was at fault; absent elsewhere. */
  senderFault: boolean | undefined;
  /** The failure came from STS while assuming the destination's role. */
  fromSts: boolean;
}

export type ErrorCategory =
  | 'throttled'
  /** The call as a whole was too large (bytes or entries): split it, the entries are fine. */
  | 'batch_too_large'
  /** One message is over what the destination accepts (Sluice's own check, or the provider's). */
  | 'too_large'
  | 'expired_credentials'
  | 'access_denied'
  | 'invalid_credentials'
  | 'not_found'
  | 'kms'
  | 'invalid_request'
  | 'server_error'
  | 'network'
  | 'unknown_client_error'
  /** The destination's transform failed, ran over its budget or yielded nothing for this event. */
  | 'transform_failed'
  /** Not transformed this round (the round's transform time was used up): tried again later. */
  | 'transform_deferred'
  | 'unknown';

const TRANSIENT: ReadonlySet<ErrorCategory> = new Set([
  'throttled',
  'batch_too_large',
  'expired_credentials',
  'server_error',
  'network',
  'transform_deferred',
  'unknown',
]);

export const kindOf = (category: ErrorCategory): FailureKind => (TRANSIENT.has(category) ? 'transient' : 'permanent');

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'AbortError',
]);
// RequestExpired (a request signed with a skewed clock) is retried the same way: fresh credentials cost little.
const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired']);
const NOT_FOUND = new Set([
  'NonExistentQueue',
  'QueueDoesNotExist',
  'QueueDeletedRecently',
  'NotFound',
  'NotFoundException',
  'ResourceNotFoundException',
]);
const INVALID_CREDENTIALS = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'InvalidSecurity',
  'MissingAuthenticationToken',
  'OptInRequired',
  'RegionDisabledException',
]);
const SERVER = new Set([
  // Sluice could not learn its own AWS account before assuming a role: its own problem, retried.
  'ServiceIdentityUnavailable',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'ResourceInUseException',
]);

// SQS's JSON protocol and the query protocol spell the same code differently.
const CODE_PREFIXES = /^(?:AWS\.SimpleQueueService\.|com\.amazonaws\.[\w.]+#|com\.amazon\.coral\.service#)/;

export function normaliseCode(code: string): string {
  return code.replace(CODE_PREFIXES, '');
}

// Kinesis says LimitExceededException when too many requests arrive at once; S3-style SlowDown.
const THROTTLED = new Set([
  'ProvisionedThroughputExceededException',
  'TooManyRequestsException',
  'LimitExceededException',
  'LimitExceeded',
  'SlowDown',
  'RequestLimitExceeded',
]);
// EventBridge's per-entry codes AWS calls non-retryable that no other rule below catches.
const NON_RETRYABLE = new Set(['MalformedDetail', 'RedactionFailure']);

// Errors about the whole call's size or entry count: the same entries fit in smaller calls.
// SNS's SDK names them with an Exception suffix.
const BATCH_TOO_LARGE = new Set([
  'BatchRequestTooLong',
  'BatchRequestTooLongException',
  'TooManyEntriesInBatchRequest',
  'TooManyEntriesInBatchRequestException',
  'RequestEntityTooLarge',
]);

export function categorize(facts: Pick<ErrorFacts, 'code' | 'status' | 'senderFault' | 'message'>): ErrorCategory {
  const code = facts.code;
  if (/throttl/i.test(code) || THROTTLED.has(code)) return 'throttled';
  if (
    BATCH_TOO_LARGE.has(code) ||
    facts.status === 413 ||
    // Kinesis: "Records size exceeds 5 MB limit" for the PutRecords request as a whole.
    (code === 'InvalidArgumentException' && /records size exceeds/i.test(facts.message)) ||
    // EventBridge: "Total size of the entries in the request is over the limit." for PutEvents.
    (code === 'ValidationException' && /total size of the entries/i.test(facts.message))
  ) {
    return 'batch_too_large';
  }
  // One message the provider refused as too large (a queue's own MaximumMessageSize, say).
  if (
    code === 'MessageTooLong' ||
    (/^InvalidParameter/.test(code) && /too long|must be shorter/i.test(facts.message))
  ) {
    return 'too_large';
  }
  if (EXPIRED.has(code)) return 'expired_credentials';
  if (/^KMS|^Kms/.test(code)) return 'kms';
  // EventBridge says NotAuthorizedForSourceException / ...DetailTypeException when a policy limits them.
  if (
    /^AccessDenied|^NotAuthorizedFor/.test(code) ||
    ['AuthorizationError', 'Forbidden', 'RoleInServiceAccount'].includes(code)
  )
    return 'access_denied';
  if (INVALID_CREDENTIALS.has(code)) return 'invalid_credentials';
  if (NOT_FOUND.has(code)) return 'not_found';
  if (
    NON_RETRYABLE.has(code) ||
    /^Invalid|^Missing|^Validation|TooLong$|^BatchEntryIdsNotDistinct$|^EmptyBatchRequest$|^TooManyEntries/.test(code)
  ) {
    return 'invalid_request';
  }
  if (NETWORK_CODES.has(code) || /socket hang up|ECONNRESET|ECONNREFUSED|timed out/i.test(facts.message))
    return 'network';
  if (SERVER.has(code) || (facts.status !== undefined && facts.status >= 500)) return 'server_error';
  if (facts.status !== undefined && facts.status >= 400) return 'unknown_client_error';
  if (facts.senderFault === true) return 'unknown_client_error';
  return 'unknown';
}

function property(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null || !(key in value)) return undefined;
  return Object.getOwnPropertyDescriptor(value, key)?.value ?? Reflect.get(value, key);
}

/** The code, HTTP status and message of anything a send can throw: SDK exceptions, Node errors, our own. */
export function errorFacts(error: unknown): ErrorFacts {
  if (error instanceof AssumeRoleError) {
    const message = withoutInternalDetails(error.message);
    return { code: error.code, status: error.status, message, senderFault: undefined, fromSts: true };
  }
  const metadata = property(error, '$metadata');
  const statusValue = property(metadata, 'httpStatusCode');
  const status = typeof statusValue === 'number' ? statusValue : undefined;
  const nodeCode = property(error, 'code');
  const name = error instanceof Error ? error.name : undefined;
  const rawCode =
    typeof nodeCode === 'string' && /^E[A-Z_]+$/.test(nodeCode)
      ? nodeCode
      : name && name !== 'Error'
        ? name
        : typeof nodeCode === 'string'
          ? nodeCode
          : status !== undefined
            ? `HTTP${status}`
            : 'Unknown';
  const message = withoutInternalDetails(error instanceof Error ? error.message : String(error));
  return { code: normaliseCode(rawCode), status, message, senderFault: undefined, fromSts: false };
}

export type DescribeFailure = (category: ErrorCategory, facts: ErrorFacts) => string;

/** Classifies an error and words it with the adapter's own description of what to fix. */
export function classifyWith(error: unknown, describe: DescribeFailure): DeliveryFailure {
  const facts = errorFacts(error);
  const category = categorize(facts);
  // STS's own message already names the role, the principal and the ExternalId.
  const message = facts.fromSts ? facts.message : describe(category, facts);
  return failureOf(category, facts.code, message);
}

/** Classifies one failed entry of a 200 batch answer (SQS/SNS Failed[], Kinesis ErrorCode). */
export function classifyEntryFailure(
  entry: { code: string; message: string; senderFault?: boolean | undefined },
  describe: DescribeFailure,
): DeliveryFailure {
  const facts: ErrorFacts = {
    code: normaliseCode(entry.code),
    status: undefined,
    message: withoutInternalDetails(entry.message),
    senderFault: entry.senderFault,
    fromSts: false,
  };
  const category = categorize(facts);
  return failureOf(category, facts.code, describe(category, facts));
}

export const failureOf = (category: ErrorCategory, code: string, message: string): DeliveryFailure => ({
  category,
  kind: kindOf(category),
  code,
  message,
});

/** A probe's answer when the destination's attributes could not be read: the check names why. */
export const attributesUnreadable = (failure: DeliveryFailure): ProbeResult => ({
  ok: false,
  maxMessageBytes: null,
  checks: [{ name: 'attributes', ok: false, detail: failure.message }],
  failureCode: failure.code,
});
