import { collectMessages, readStream, receiveAll } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let fx: DeliveryFixture;
beforeAll(async () => {
  fx = await startDeliveryFixture({ faults: true });
});
afterAll(() => fx.close());

const collect = (queueUrl: string, count: number, timeoutMs = 15_000) =>
  collectMessages(fx.aws.sqs, queueUrl, count, { timeoutMs });

const control = (destinationId: string, action: 'pause' | 'resume') =>
  fx.stack.app.inject({ method: 'POST', url: `/v1/destinations/${destinationId}/${action}`, headers: fx.auth });

const deliveriesOf = async (destinationId: string) =>
  (
    await fx.stack.app.inject({ method: 'GET', url: `/v1/deliveries?destinationId=${destinationId}`, headers: fx.auth })
  ).json().data as { id: string; status: string; attempts: number; lastError: { code: string } | null }[];

const dlqRows = async (destinationId: string) =>
  (await fx.stack.database.pool.query('select * from dlq_entries where destination_id = $1', [destinationId])).rows;

describe('delivery under faults', () => {
  it('resends only the entries of a batch that failed, never the ones that succeeded', async () => {
    const { id, queueUrl, post } = await fx.sqsDestination('partial');
    await control(id, 'pause');
    const eventIds: string[] = [];
    for (let i = 0; i < 6; i++) eventIds.push(await post());
    await waitFor(async () => (await deliveriesOf(id)).length === 6);
    fx.proxy!.inject({
      action: 'SendMessageBatch',
      fault: {
        kind: 'failEntries',
        select: (keys) => keys.filter((_, i) => i % 2 === 1),
        code: 'InternalError',
        senderFault: false,
      },
    });
    await control(id, 'resume');
    const messages = await collect(queueUrl, 6);
    await new Promise((resolve) => setTimeout(resolve, 500));
    messages.push(...(await receiveAll(fx.aws.sqs, queueUrl)));
    expect(messages.map((m) => JSON.parse(m.Body!).id).sort()).toEqual([...eventIds].sort());
    const attempts = (await deliveriesOf(id)).map((d) => d.attempts).sort();
    expect(attempts).toEqual([1, 1, 1, 2, 2, 2]);
  });

  it('slows a throttled destination down without blocking another', async () => {
    const throttled = await fx.sqsDestination('throttled');
    const stream = await fx.kinesisDestination('unaffected', { customerExternalId: throttled.customerExternalId });
    fx.proxy!.inject({
      action: 'SendMessageBatch',
      fault: { kind: 'error', status: 400, code: 'RequestThrottled' },
      times: 3,
    });
    const eventId = await throttled.post();
    const records = await waitFor(async () => {
      const read = await readStream(fx.aws.kinesis, stream.streamName);
      return read.length > 0 ? read : undefined;
    });
    expect(JSON.parse(records[0]!.data).id).toBe(eventId);
    const [message] = await collect(throttled.queueUrl, 1);
    expect(JSON.parse(message!.Body!).id).toBe(eventId);
    const [delivery] = await deliveriesOf(throttled.id);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 4 });
  });

  it('retries connection resets and slow answers', async () => {
    const { queueUrl, post } = await fx.sqsDestination('flaky');
    fx.proxy!.inject({ action: 'SendMessageBatch', fault: { kind: 'reset' }, times: 1 });
    fx.proxy!.inject({ action: 'SendMessageBatch', fault: { kind: 'delay', ms: 300 }, times: 1 });
    const eventId = await post();
    const [message] = await collect(queueUrl, 1);
    expect(JSON.parse(message!.Body!).id).toBe(eventId);
  });

  it('dead-letters a permanent failure (AccessDenied) at once with the error', async () => {
    const { id, post } = await fx.sqsDestination('denied');
    fx.proxy!.inject({
      action: 'SendMessageBatch',
      fault: { kind: 'error', status: 403, code: 'AccessDenied' },
      times: 1,
    });
    await post();
    const [delivery] = await waitFor(async () => {
      const found = await deliveriesOf(id);
      return found[0]?.status === 'dead' ? found : undefined;
    });
    expect(delivery).toMatchObject({ attempts: 1, lastError: expect.objectContaining({ code: 'AccessDenied' }) });
    expect(await dlqRows(id)).toEqual([
      expect.objectContaining({ reason: 'permanent_error', state: 'open', attempts: 1 }),
    ]);
  });

  it('dead-letters a message larger than the destination accepts, and the rest flow', async () => {
    const { id, queueUrl, post } = await fx.snsDestination('small-topic');
    await post({ payload: { blob: 'x'.repeat(300 * 1024) } });
    const small = await post();
    const [message] = await collect(queueUrl, 1);
    expect(JSON.parse(message!.Body!).id).toBe(small);
    await waitFor(async () => (await dlqRows(id)).length === 1);
    expect((await dlqRows(id))[0]).toMatchObject({ reason: 'payload_too_large' });
  });

  it('gives up after the destination retry limit with reason retries_exhausted', async () => {
    const { id, post } = await fx.sqsDestination('give-up', { retry: { maxAttempts: 2 } });
    fx.proxy!.inject({
      action: 'SendMessageBatch',
      fault: { kind: 'error', status: 503, code: 'ServiceUnavailable' },
      times: 2,
    });
    await post();
    await waitFor(async () => (await dlqRows(id)).length === 1, 15_000);
    expect((await dlqRows(id))[0]).toMatchObject({ reason: 'retries_exhausted', attempts: 2 });
  });

  it('holds the deliveries of a destination whose stored secret no key can open, and dead-letters them only once expired', async () => {
    const { id, post } = await fx.sqsDestination('unusable');
    await fx.stack.database.pool.query(
      `update destinations set auth_mode = 'access_key', role_arn = null, access_key_id = 'AKIAEXAMPLE000000000',
         secret_access_key = '{"keyId":"deadbeef","iv":"AAAA","ciphertext":"AAAA","tag":"AAAA"}', updated_at = now()
       where id = $1`,
      [id],
    );
    await post();
    const held = await waitFor(async () => {
      const [delivery] = await deliveriesOf(id);
      return delivery?.lastError?.code === 'destination_unusable' ? delivery : undefined;
    });
    // Held, not attempted: no attempt counted, nothing dead-lettered, next look in a minute.
    expect(held).toMatchObject({ status: 'pending', attempts: 0 });
    expect(Date.parse((held as unknown as { nextAttemptAt: string }).nextAttemptAt)).toBeGreaterThan(
      Date.now() + 30_000,
    );
    expect(await dlqRows(id)).toEqual([]);

    // Past its retry window, it goes to the dead-letter queue with the reason.
    await fx.stack.database.pool.query(
      `with q as (update delivery_queue set expires_at = now() - interval '1 s', due_at = now() where destination_id = $1)
       update deliveries set expires_at = now() - interval '1 s' where destination_id = $1`,
      [id],
    );
    await waitFor(async () => (await dlqRows(id)).length === 1);
    expect((await dlqRows(id))[0]).toMatchObject({
      reason: 'retries_exhausted',
      last_error: expect.objectContaining({ code: 'destination_unusable', message: expect.stringContaining('PATCH') }),
    });
  });
});
