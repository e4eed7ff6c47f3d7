import { createQueue, createTopicWithQueue, receiveAll } from '@sluice/testing/aws-test-resources';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryOutcome } from '../src/types.ts';
import { type Harness, makeEvent, messagesOf, sendAll, startHarness, uniqueName } from './harness.ts';

/**
 * How SQS and SNS refuse what is too large, as AWS answers it (through the fault proxy), and what
 * Sluice makes of it: one message too large for the queue or topic is `too_large` (dead-lettered
 * as payload_too_large, never retried), whoever measured it; a call too large as a whole, or
 * refused as a whole for one of its messages, is split until only a message too large alone fails.
 */

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterEach(() => harness.sqsSnsProxy.clear());
afterAll(() => harness?.stop());

const sqsDestination = async () => {
  const queueUrl = await createQueue(harness.direct.sqs, uniqueName('sizes'));
  return { queueUrl, destination: harness.configure('sqs', { queueUrl }) };
};
const summary = (outcomes: DeliveryOutcome[]) =>
  outcomes.map((outcome) => (outcome.ok ? 'ok' : `${outcome.failure.category}:${outcome.failure.kind}`));
const batchCalls = (action: string) =>
  harness.sqsSnsProxy.requests.filter((request) => request.action === action).length;

describe('one message over the queue’s or topic’s own limit', () => {
  it('SQS: a Failed[] entry "Message must be shorter than" is too_large, permanent; the rest are sent', async () => {
    const { queueUrl, destination } = await sqsDestination();
    harness.sqsSnsProxy.inject({
      action: 'SendMessageBatch',
      fault: {
        kind: 'failEntries',
        select: (keys) => keys.slice(1, 2),
        code: 'InvalidParameterValue',
        message: 'One or more parameters are invalid. Reason: Message must be shorter than 2048 bytes.',
        senderFault: true,
      },
    });
    const outcomes = await sendAll(destination, harness, messagesOf([makeEvent(), makeEvent(), makeEvent()]));
    expect(summary(outcomes)).toEqual(['ok', 'too_large:permanent', 'ok']);
    expect(outcomes[1]).toMatchObject({ ok: false, failure: { code: 'InvalidParameterValue' } });
    expect(await receiveAll(harness.direct.sqs, queueUrl)).toHaveLength(2);
  });

  it('SNS: a Failed[] entry "Message too long" is too_large, permanent', async () => {
    const { topicArn } = await createTopicWithQueue(harness.direct, uniqueName('sizes'));
    const destination = harness.configure('sns', { topicArn });
    harness.sqsSnsProxy.inject({
      action: 'PublishBatch',
      fault: {
        kind: 'failEntries',
        select: (keys) => keys.slice(0, 1),
        code: 'InvalidParameter',
        message: 'Invalid parameter: Message too long',
        senderFault: true,
      },
    });
    const outcomes = await sendAll(destination, harness, messagesOf([makeEvent(), makeEvent()]));
    expect(summary(outcomes)).toEqual(['too_large:permanent', 'ok']);
  });
});

describe('a call refused as a whole', () => {
  it('SQS BatchRequestTooLong, as its JSON protocol spells it, is split and every entry sent', async () => {
    const { queueUrl, destination } = await sqsDestination();
    harness.sqsSnsProxy.inject({
      action: 'SendMessageBatch',
      fault: {
        kind: 'error',
        status: 400,
        code: 'AWS.SimpleQueueService.BatchRequestTooLong',
        message: 'Batch requests cannot be longer than 1048576 bytes. You have sent 1200000 bytes.',
      },
    });
    const outcomes = await sendAll(destination, harness, messagesOf([makeEvent(), makeEvent(), makeEvent()]));
    expect(summary(outcomes)).toEqual(['ok', 'ok', 'ok']);
    expect(batchCalls('SendMessageBatch')).toBe(3);
    expect(await receiveAll(harness.direct.sqs, queueUrl)).toHaveLength(3);
  });

  it('for one message too large, without saying which, is split until that message alone fails', async () => {
    const { queueUrl, destination } = await sqsDestination();
    const tooLong = {
      kind: 'error',
      status: 400,
      code: 'InvalidParameterValue',
      message: 'One or more parameters are invalid. Reason: Message must be shorter than 2048 bytes.',
    } as const;
    // [a b c] refused, then its first half [a b]: both held the message, then a and b each alone pass.
    harness.sqsSnsProxy.inject({ action: 'SendMessageBatch', fault: tooLong, times: 2 });
    const outcomes = await sendAll(destination, harness, messagesOf([makeEvent(), makeEvent(), makeEvent()]));
    expect(summary(outcomes)).toEqual(['ok', 'ok', 'ok']);
    expect(await receiveAll(harness.direct.sqs, queueUrl)).toHaveLength(3);

    harness.sqsSnsProxy.inject({ action: 'SendMessageBatch', fault: tooLong, times: 1 });
    const [alone] = await sendAll(destination, harness, messagesOf([makeEvent()]));
    expect(alone).toMatchObject({
      ok: false,
      failure: { category: 'too_large', kind: 'permanent', code: 'payload_too_large' },
    });
  });
});
