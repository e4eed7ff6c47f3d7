import type { Message } from '@aws-sdk/client-sqs';
import { collectMessages, receiveAll } from '@sluice/testing/aws-test-resources';
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

const bodies = (messages: Message[]) =>
  messages.map((m) => JSON.parse(m.Body!) as { payload: { group: string; n: number } });

describe('FIFO destinations', () => {
  const control = (destinationId: string, action: 'pause' | 'resume') =>
    fx.stack.app.inject({ method: 'POST', url: `/v1/destinations/${destinationId}/${action}`, headers: fx.auth });

  it('does not send message n+1 of a group before n, when the head fails twice before succeeding', async () => {
    const { id, queueUrl, post } = await fx.sqsDestination('orders.fifo', {
      config: { messageGroupIdField: 'payload.group' },
    });
    // Everything waits while paused, so the first send after resume carries the group's head alone.
    expect((await control(id, 'pause')).json().status).toBe('paused');
    const keys: string[] = [];
    for (let n = 1; n <= 4; n++) {
      keys.push(`fifo-alpha-${n}-${Date.now()}`);
      await post({ idempotencyKey: keys.at(-1), payload: { group: 'alpha', n } });
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await receiveAll(fx.aws.sqs, queueUrl)).toEqual([]);
    fx.proxy!.inject({
      action: 'SendMessageBatch',
      fault: { kind: 'error', status: 500, code: 'InternalError' },
      times: 2,
    });
    expect((await control(id, 'resume')).json().status).toBe('active');

    const messages = await collect(queueUrl, 4);
    expect(bodies(messages).map((b) => b.payload.n)).toEqual([1, 2, 3, 4]);
    expect(messages.map((m) => m.Attributes?.MessageGroupId)).toEqual(['alpha', 'alpha', 'alpha', 'alpha']);
    expect(messages.map((m) => m.Attributes?.MessageDeduplicationId)).toEqual(keys);

    const headEventId = JSON.parse(messages[0]!.Body!).id;
    const list = await fx.stack.app.inject({
      method: 'GET',
      url: `/v1/deliveries?eventId=${headEventId}`,
      headers: fx.auth,
    });
    const head = await fx.stack.app.inject({
      method: 'GET',
      url: `/v1/deliveries/${list.json().data[0].id}`,
      headers: fx.auth,
    });
    expect(head.json().attemptLog.map((a: { outcome: string }) => a.outcome)).toEqual([
      'transient_error',
      'transient_error',
      'delivered',
    ]);
    expect(head.json().attemptLog[0].errorCode).toBe('InternalError');
  });

  it('keeps each group in order while groups interleave', async () => {
    const { queueUrl, post } = await fx.sqsDestination('groups.fifo', {
      config: { messageGroupIdField: 'payload.group' },
    });
    const groups = ['a', 'b', 'c'];
    for (let n = 1; n <= 5; n++) for (const group of groups) await post({ payload: { group, n } });
    const messages = await collect(queueUrl, 15);
    for (const group of groups) {
      const ofGroup = bodies(messages.filter((m) => m.Attributes?.MessageGroupId === group));
      expect(ofGroup.map((b) => b.payload.n)).toEqual([1, 2, 3, 4, 5]);
    }
  });

  it('hashes an idempotency key that SQS would refuse as a deduplication id, stably', async () => {
    const { queueUrl, post, customerExternalId } = await fx.sqsDestination('hashed.fifo');
    const key = `ключ with spaces ${'x'.repeat(150)}`;
    await post({ idempotencyKey: key });
    const [message] = await collect(queueUrl, 1);
    const dedupId = message!.Attributes?.MessageDeduplicationId ?? '';
    // SQS allows 1 to 128 of a-z, A-Z, 0-9 and ASCII punctuation.
    expect(dedupId).toMatch(/^[\x21-\x7E]{1,128}$/);
    expect(dedupId).not.toBe(key);
    expect(message!.Attributes?.MessageGroupId).toBe(customerExternalId);
  });

  it('regroups pending deliveries when a PATCH changes messageGroupIdField', async () => {
    const { id, queueUrl, post } = await fx.sqsDestination('regroup.fifo');
    await control(id, 'pause');
    for (let n = 1; n <= 4; n++) await post({ payload: { group: n % 2 ? 'odd' : 'even', n } });
    await waitFor(async () => {
      const { rows } = await fx.stack.database.pool.query('select count(*) from deliveries where destination_id = $1', [
        id,
      ]);
      return Number(rows[0].count) === 4;
    });
    const patched = await fx.stack.app.inject({
      method: 'PATCH',
      url: `/v1/destinations/${id}`,
      headers: fx.auth,
      payload: { config: { messageGroupIdField: 'payload.group' } },
    });
    expect(patched.statusCode).toBe(200);
    // Regrouped in the background; the destination claims nothing until it is done.
    await waitFor(async () => {
      const { rows } = await fx.stack.database.pool.query('select regrouping_at from destinations where id = $1', [id]);
      return rows[0].regrouping_at === null;
    });
    const { rows } = await fx.stack.database.pool.query(
      'select ordering_key from deliveries where destination_id = $1 order by order_seq',
      [id],
    );
    expect(rows.map((r) => r.ordering_key)).toEqual(['odd', 'even', 'odd', 'even']);
    await control(id, 'resume');
    const messages = await collect(queueUrl, 4);
    for (const group of ['odd', 'even']) {
      const ns = bodies(messages.filter((m) => m.Attributes?.MessageGroupId === group)).map((b) => b.payload.n);
      expect(ns).toEqual(group === 'odd' ? [1, 3] : [2, 4]);
    }
  });
});
