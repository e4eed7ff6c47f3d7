import { collectMessages } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A file of its own: its workers, one call at a time, must be the only ones on the queues.
let serial: DeliveryFixture;
beforeAll(async () => {
  serial = await startDeliveryFixture({ faults: true, drain: { sendConcurrency: 1 } });
});
afterAll(() => serial.close());

describe('a round of calls after one fails as a whole', () => {
  it('sends none of the round’s remaining calls: they share the failure and are retried later', async () => {
    const { id, queueUrl, post } = await serial.sqsDestination('whole-call');
    await serial.stack.app.inject({ method: 'POST', url: `/v1/destinations/${id}/pause`, headers: serial.auth });
    for (let i = 0; i < 30; i++) await post();
    const deliveries = async () =>
      (
        await serial.stack.app.inject({
          method: 'GET',
          url: `/v1/deliveries?destinationId=${id}`,
          headers: serial.auth,
        })
      ).json().data as { attempts: number; status: string }[];
    await waitFor(async () => (await deliveries()).length === 30);
    serial.proxy!.inject({
      action: 'SendMessageBatch',
      fault: { kind: 'error', status: 400, code: 'RequestThrottled' },
    });
    await serial.stack.app.inject({ method: 'POST', url: `/v1/destinations/${id}/resume`, headers: serial.auth });
    expect(await collectMessages(serial.aws.sqs, queueUrl, 30, { timeoutMs: 15_000 })).toHaveLength(30);
    await waitFor(async () => (await deliveries()).every((d) => d.status === 'delivered'));
    // The first call was throttled; the round's other two calls were never sent but counted as
    // failed with it, so every delivery took exactly two attempts (one in each round).
    const calls = serial.proxy!.requests.filter((request) => request.action === 'SendMessageBatch');
    expect(calls[0]?.fault).toBe('error');
    expect(calls.filter((call) => call.fault !== null)).toHaveLength(1);
    expect((await deliveries()).map((d) => d.attempts)).toEqual(Array(30).fill(2));
  });
});
