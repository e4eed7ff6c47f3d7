import { AssumeRoleError } from '@sluice/aws/assume-role';
import { describe, expect, it } from 'vitest';
import { classifyEntryFailure, classifyWith, errorFacts } from '../src/error-classification.ts';
import { describeAwsFailure } from '../src/failure-messages.ts';

/** An error shaped like the SDK's service exceptions. */
function awsError(name: string, status: number, message = 'from AWS') {
  return Object.assign(new Error(message), {
    name,
    $metadata: { httpStatusCode: status },
    $fault: status >= 500 ? 'server' : 'client',
  });
}

function nodeError(code: string, message: string) {
  return Object.assign(new Error(message), { code });
}

const describe_ = describeAwsFailure({
  service: 'SQS',
  action: 'sqs:SendMessage',
  noun: 'queue',
  resource: 'https://sqs.us-east-1.amazonaws.com/123456789012/q',
  principal: 'arn:aws:iam::123456789012:role/W',
  region: 'us-east-1',
});

describe('classifyError', () => {
  it.each([
    ['ThrottlingException', 400],
    ['Throttling', 400],
    ['RequestThrottled', 403],
    ['ProvisionedThroughputExceededException', 400],
    ['KMSThrottlingException', 400],
    ['LimitExceededException', 400],
    ['InternalError', 500],
    ['ServiceUnavailable', 503],
    ['SomethingNew', 502],
    ['ExpiredToken', 400],
    ['ExpiredTokenException', 400],
    ['RequestExpired', 400],
    ['TimeoutError', 0],
  ])('%s (HTTP %i) is transient', (name, status) => {
    expect(classifyWith(awsError(name, status), describe_).kind).toBe('transient');
  });

  it.each([
    ['AccessDenied', 403],
    ['AccessDeniedException', 400],
    ['AuthorizationError', 403],
    ['InvalidClientTokenId', 403],
    ['QueueDoesNotExist', 400],
    ['AWS.SimpleQueueService.NonExistentQueue', 400],
    ['com.amazonaws.sqs#QueueDoesNotExist', 400],
    ['NotFoundException', 404],
    ['ResourceNotFoundException', 400],
    ['InvalidParameterValue', 400],
    ['InvalidParameterException', 400],
    ['KMS.DisabledException', 400],
    ['KmsAccessDenied', 400],
    ['KMSNotFoundException', 400],
    ['KMSAccessDeniedException', 400],
    ['SomethingNew', 400],
  ])('%s (HTTP %i) is permanent', (name, status) => {
    expect(classifyWith(awsError(name, status), describe_).kind).toBe('permanent');
  });

  it.each([
    nodeError('ECONNRESET', 'socket hang up'),
    nodeError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'),
    nodeError('ETIMEDOUT', 'timed out'),
    new Error('something odd without a status'),
  ])('network and unknown errors are transient: %s', (error) => {
    expect(classifyWith(error, describe_).kind).toBe('transient');
  });

  it('normalises codes and words an AccessDenied so it says who needs what on which resource', () => {
    const failure = classifyWith(awsError('AccessDenied', 403), describe_);
    expect(failure).toEqual({
      category: 'access_denied',
      kind: 'permanent',
      code: 'AccessDenied',
      message: expect.stringContaining(
        'SQS AccessDenied: the role or key arn:aws:iam::123456789012:role/W cannot sqs:SendMessage on the queue https://sqs.us-east-1.amazonaws.com/123456789012/q',
      ),
    });
    expect(errorFacts(awsError('AWS.SimpleQueueService.NonExistentQueue', 400)).code).toBe('NonExistentQueue');
  });

  it('keeps STS denial messages, which already name the trust policy fix', () => {
    const error = new AssumeRoleError({
      code: 'AccessDenied',
      status: 403,
      roleArn: 'arn:aws:iam::1:role/x',
      message: 'STS AccessDenied: trust policy ...',
      cause: null,
    });
    expect(classifyWith(error, describe_)).toEqual({
      category: 'access_denied',
      kind: 'permanent',
      code: 'AccessDenied',
      message: 'STS AccessDenied: trust policy ...',
    });
  });

  it('classifies batch entries by code and sender fault', () => {
    expect(classifyEntryFailure({ code: 'InternalError', message: '', senderFault: false }, describe_).kind).toBe(
      'transient',
    );
    expect(
      classifyEntryFailure({ code: 'InvalidMessageContents', message: '', senderFault: true }, describe_).kind,
    ).toBe('permanent');
    expect(classifyEntryFailure({ code: 'Novel', message: '', senderFault: true }, describe_).kind).toBe('permanent');
    expect(classifyEntryFailure({ code: 'Novel', message: '' }, describe_).kind).toBe('transient');
  });
});
