import { createAwsClientCache } from '@sluice/aws/clients';
import { createQueue, createStream, createTopicWithQueue, receiveAll } from '@sluice/testing/aws-test-resources';
import { FAKE_STS_CALLER_ARN } from '@sluice/testing/fake-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryOutcome } from '../src/types.ts';
import {
  EXTERNAL_ID,
  type Harness,
  makeEvent,
  messagesOf,
  ROLE_ARN,
  sendAll,
  startHarness,
  TENANT_ID,
  uniqueName,
} from './harness.ts';

/**
 * Failures no emulator produces (throttling, 5xx, dropped connections, timeouts, AccessDenied,
 * KMS errors, STS denials), injected by the fault proxy, and how Sluice classifies them.
 */

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});

afterEach(() => {
  harness.sqsSnsProxy.clear();
  harness.kinesisProxy.clear();
  harness.eventBridgeProxy.clear();
});

afterAll(async () => {
  await harness?.stop();
});

const failures = (outcomes: DeliveryOutcome[]) => outcomes.map((outcome) => (outcome.ok ? null : outcome.failure));

async function sqsDestination() {
  const queueUrl = await createQueue(harness.direct.sqs, uniqueName('faults'));
  return { queueUrl, destination: harness.configure('sqs', { queueUrl }) };
}

describe('SQS (AWS JSON protocol)', () => {
  it.each([
    ['throttling', { kind: 'error', status: 400, code: 'RequestThrottled' }, 'transient', 'RequestThrottled'],
    ['a 500', { kind: 'error', status: 500, code: 'InternalError' }, 'transient', 'InternalError'],
    ['a 503 without a known code', { kind: 'error', status: 503, code: 'Unavailable' }, 'transient', 'Unavailable'],
    ['a reset connection', { kind: 'reset' }, 'transient', 'ECONNRESET'],
    ['AccessDenied', { kind: 'error', status: 403, code: 'AccessDenied' }, 'permanent', 'AccessDenied'],
    // The SDK names the modelled exception after SQS's JSON code, as it does for real SQS answers.
    ['a KMS error', { kind: 'error', status: 400, code: 'KMS.DisabledException' }, 'permanent', 'KmsDisabled'],
    ['an expired session', { kind: 'error', status: 400, code: 'ExpiredToken' }, 'transient', 'ExpiredToken'],
  ] as const)('classifies %s', async (_case, fault, kind, code) => {
    const { destination } = await sqsDestination();
    harness.sqsSnsProxy.inject({ action: 'SendMessageBatch', fault });
    const outcomes = await sendAll(destination, harness, messagesOf([makeEvent(), makeEvent()]));
    expect(failures(outcomes)).toEqual([
      expect.objectContaining({ kind, code }),
      expect.objectContaining({ kind, code }),
    ]);
  });

  it('words AccessDenied with the role, the action and the queue', async () => {
    const { queueUrl, destination } = await sqsDestination();
    harness.sqsSnsProxy.inject({
      action: 'SendMessageBatch',
      fault: { kind: 'error', status: 403, code: 'AccessDenied' },
    });
    const [outcome] = await sendAll(destination, harness, messagesOf([makeEvent()]));
    expect(outcome?.ok === false && outcome.failure.message).toContain(
      `SQS AccessDenied: the role or key ${ROLE_ARN} cannot sqs:SendMessage on the queue ${queueUrl}`,
    );
  });

  it('classifies a request that outlives the timeout as transient', async () => {
    const impatient = createAwsClientCache({
      endpoints: { sqs: harness.sqsSnsProxy.endpoint },
      timeouts: { requestTimeoutMs: 200 },
    });
    try {
      const { destination } = await sqsDestination();
      harness.sqsSnsProxy.inject({ action: 'SendMessageBatch', fault: { kind: 'delay', ms: 800 } });
      const [outcome] = await sendAll(
        destination,
        { clients: impatient, credentials: harness.credentials },
        messagesOf([makeEvent()]),
      );
      expect(outcome?.ok === false && outcome.failure).toMatchObject({ kind: 'transient' });
    } finally {
      impatient.destroy();
    }
  });

  it('reports a denied GetQueueAttributes in the probe with the action to allow', async () => {
    const { destination } = await sqsDestination();
    harness.sqsSnsProxy.inject({
      action: 'GetQueueAttributes',
      fault: { kind: 'error', status: 403, code: 'AccessDenied' },
    });
    const probe = await destination.probe(harness);
    expect(probe).toMatchObject({ ok: false, failureCode: 'AccessDenied' });
    expect(probe.checks[0]?.detail).toContain('cannot sqs:GetQueueAttributes');
  });
});

describe('SNS (query protocol)', () => {
  it.each([
    ['throttling', 400, 'Throttling', 'transient'],
    ['an internal error', 500, 'InternalError', 'transient'],
    ['AuthorizationError', 403, 'AuthorizationError', 'permanent'],
    ['a KMS error', 400, 'KMSAccessDenied', 'permanent'],
  ] as const)('classifies %s', async (_case, status, code, kind) => {
    const { topicArn } = await createTopicWithQueue(harness.direct, uniqueName('faults'));
    const destination = harness.configure('sns', { topicArn });
    harness.sqsSnsProxy.inject({ action: 'PublishBatch', fault: { kind: 'error', status, code } });
    const [outcome] = await sendAll(destination, harness, messagesOf([makeEvent()]));
    expect(outcome?.ok === false && outcome.failure).toMatchObject({ kind, code: expect.stringContaining(code) });
  });
});

describe('Kinesis (AWS JSON 1.1)', () => {
  it.each([
    ['ProvisionedThroughputExceededException', 'transient'],
    ['KMSThrottlingException', 'transient'],
    ['KMSAccessDeniedException', 'permanent'],
    ['AccessDeniedException', 'permanent'],
  ] as const)('classifies %s', async (code, kind) => {
    const streamArn = await createStream(harness.direct.kinesis, uniqueName('faults'));
    const destination = harness.configure('kinesis', { streamArn });
    harness.kinesisProxy.inject({ action: 'PutRecords', fault: { kind: 'error', status: 400, code } });
    const [outcome] = await sendAll(destination, harness, messagesOf([makeEvent()]));
    expect(outcome?.ok === false && outcome.failure).toMatchObject({ kind, code });
  });
});

describe('EventBridge (AWS JSON 1.1)', () => {
  const bus = () => harness.direct.eventBridge.createBus(uniqueName('faults'));

  it.each([
    ['throttling', 400, 'ThrottlingException', 'transient'],
    ['an internal failure', 500, 'InternalFailure', 'transient'],
    ['AccessDeniedException', 400, 'AccessDeniedException', 'permanent'],
    ['a missing bus', 400, 'ResourceNotFoundException', 'permanent'],
  ] as const)('classifies %s of the whole call', async (_case, status, code, kind) => {
    const destination = harness.configure('eventbridge', { eventBusArn: bus() });
    harness.eventBridgeProxy.inject({ action: 'PutEvents', fault: { kind: 'error', status, code } });
    const [outcome] = await sendAll(destination, harness, messagesOf([makeEvent()]));
    expect(outcome?.ok === false && outcome.failure).toMatchObject({ kind, code });
  });

  it.each([
    ['ThrottlingException', 'transient'],
    ['InternalFailure', 'transient'],
    ['AccessDeniedException', 'permanent'],
    ['NotAuthorizedForDetailTypeException', 'permanent'],
    ['MalformedDetail', 'permanent'],
    ['InvalidArgument', 'permanent'],
  ] as const)('classifies a %s entry of a 200 answer on its own', async (code, kind) => {
    const destination = harness.configure('eventbridge', { eventBusArn: bus() });
    harness.eventBridgeProxy.inject({
      action: 'PutEvents',
      fault: { kind: 'failEntries', select: (keys) => keys.slice(0, 1), code },
    });
    const outcomes = await sendAll(destination, harness, messagesOf([makeEvent(), makeEvent()]));
    expect(failures(outcomes)).toEqual([expect.objectContaining({ kind, code }), null]);
  });

  it('answers an aws. source, as EventBridge does, with a permanent NotAuthorizedForSourceException for that entry', async () => {
    const eventBusArn = bus();
    const destination = harness.configure('eventbridge', { eventBusArn });
    const outcomes = await sendAll(destination, harness, messagesOf([makeEvent({ source: 'aws.s3' }), makeEvent()]));
    expect(failures(outcomes)).toEqual([
      expect.objectContaining({ kind: 'permanent', code: 'NotAuthorizedForSourceException' }),
      null,
    ]);
    expect(harness.direct.eventBridge.events(eventBusArn)).toHaveLength(1);
  });

  it('words AccessDenied with the role, events:PutEvents and the bus', async () => {
    const eventBusArn = bus();
    const destination = harness.configure('eventbridge', { eventBusArn });
    harness.eventBridgeProxy.inject({
      action: 'PutEvents',
      fault: { kind: 'error', status: 400, code: 'AccessDeniedException' },
    });
    const [outcome] = await sendAll(destination, harness, messagesOf([makeEvent()]));
    expect(outcome?.ok === false && outcome.failure.message).toContain(
      `EventBridge AccessDeniedException: the role or key ${ROLE_ARN} cannot events:PutEvents on the event bus ${eventBusArn}`,
    );
  });

  it('reports a denied DescribeEventBus in the probe with the action to allow', async () => {
    const destination = harness.configure('eventbridge', { eventBusArn: bus() });
    harness.eventBridgeProxy.inject({
      action: 'DescribeEventBus',
      fault: { kind: 'error', status: 400, code: 'AccessDeniedException' },
    });
    const probe = await destination.probe(harness);
    expect(probe).toMatchObject({ ok: false, failureCode: 'AccessDeniedException' });
    expect(probe.checks[0]?.detail).toContain('cannot events:DescribeEventBus');
  });
});

describe('credentials', () => {
  it('classifies an STS denial as permanent, explains the trust policy, and recovers once it is fixed', async () => {
    const { queueUrl, destination } = await sqsDestination();
    const externalId = `ext-${uniqueName('denied')}`;
    const roleArn = 'arn:aws:iam::123456789012:role/NotYetTrusted';
    const credentials = harness.broker.forDestination(
      { mode: 'assume_role', roleArn, externalId },
      { tenantId: TENANT_ID },
    );

    const [denied] = await sendAll(destination, { clients: harness.clients, credentials }, messagesOf([makeEvent()]));
    expect(denied?.ok === false && denied.failure).toMatchObject({ kind: 'permanent', code: 'AccessDenied' });
    const message = denied?.ok === false ? denied.failure.message : '';
    expect(message).toContain(`trust policy must allow principal ${FAKE_STS_CALLER_ARN}`);
    expect(message).toContain(`sts:ExternalId = ${externalId}`);

    harness.emulators.fakeSts.allowRole(roleArn, externalId);
    const [fixed] = await sendAll(destination, { clients: harness.clients, credentials }, messagesOf([makeEvent()]));
    expect(fixed?.ok).toBe(true);
    expect(await receiveAll(harness.direct.sqs, queueUrl)).toHaveLength(1);
  });

  it('assumes the role again after ExpiredToken, through a new client', async () => {
    const { queueUrl, destination } = await sqsDestination();
    const credentials = harness.broker.forDestination(
      { mode: 'assume_role', roleArn: ROLE_ARN, externalId: EXTERNAL_ID },
      { tenantId: TENANT_ID },
    );
    const ctx = { clients: harness.clients, credentials };
    await sendAll(destination, ctx, messagesOf([makeEvent()]));
    const before = harness.emulators.fakeSts.assumeRoleCalls(ROLE_ARN).length;

    harness.sqsSnsProxy.inject({
      action: 'SendMessageBatch',
      fault: { kind: 'error', status: 400, code: 'ExpiredToken' },
    });
    const [expired] = await sendAll(destination, ctx, messagesOf([makeEvent()]));
    expect(expired?.ok === false && expired.failure.kind).toBe('transient');
    const [retried] = await sendAll(destination, ctx, messagesOf([makeEvent()]));
    expect(retried?.ok).toBe(true);
    expect(harness.emulators.fakeSts.assumeRoleCalls(ROLE_ARN).length).toBe(before + 1);
    expect(await receiveAll(harness.direct.sqs, queueUrl)).toHaveLength(2);
  });
});
