import { deadLetterInLine } from '@sluice/db/repositories/dead-letters';
import { collectMessages, receiveAll } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { arrivals, POISON, scenario } from '@sluice/testing/fifo-hold-scenario';
import { waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A held FIFO group through the destination's lifecycle: pause and resume, DELETE (what waits
 * goes to the dead-letter queue as destination_deleted), and a PATCH of the group field (the
 * holds move with their dead heads), with a bulk replay of several held entries of one group.
 */

let fx: DeliveryFixture;
let s: ReturnType<typeof scenario>;
beforeAll(async () => {
  fx = await startDeliveryFixture();
  s = scenario(fx);
});
afterAll(() => fx.close());

const collect = (queueUrl: string, count: number) =>
  collectMessages(fx.aws.sqs, queueUrl, count, { timeoutMs: 20_000 });
const held = (name: string) =>
  fx.sqsDestination(`${name}.fifo`, {
    config: { messageGroupIdField: 'payload.group' },
    transform: POISON,
    fifo: { onDeadLetter: 'hold' },
  });

describe('a held FIFO group', () => {
  it('stays held while paused; a replay while paused goes first after resume', async () => {
    const d = await held('paused');
    await s.post(d, 1, 3);
    await collect(d.queueUrl, 6);
    const entry = await s.deadHead(d.id);
    await s.fix(d.id);
    await s.api('POST', `/v1/destinations/${d.id}/pause`);
    await s.api('POST', `/v1/destinations/${d.id}/resume`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await receiveAll(fx.aws.sqs, d.queueUrl)).toEqual([]);
    await s.api('POST', `/v1/destinations/${d.id}/pause`);
    expect((await s.api('POST', `/v1/dlq/${entry.id}/replay`)).statusCode).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await receiveAll(fx.aws.sqs, d.queueUrl)).toEqual([]);
    await s.api('POST', `/v1/destinations/${d.id}/resume`);
    const groupB = arrivals(await collect(d.queueUrl, 3));
    expect(groupB.map((a) => `${a.group}${a.n}`)).toEqual(['b1', 'b2', 'b3']);
  });

  it('uses no retry window while held: expiry skips it, and the window starts again when the group goes', async () => {
    const d = await held('windowed');
    await s.post(d, 1, 2);
    await collect(d.queueUrl, 4);
    const entry = await s.deadHead(d.id);
    // As if b2 had waited behind b1 for longer than its whole retry window.
    const sql = (text: string) => fx.stack.database.pool.query(text, [d.id]);
    await sql(`update delivery_queue set expires_at = now() - interval '1 hour' where destination_id = $1`);
    await sql(
      `update deliveries set expires_at = now() - interval '1 hour' where destination_id = $1 and status = 'pending'`,
    );
    const expired = await deadLetterInLine(fx.stack.database.executor, d.id, {
      limit: 100,
      reason: 'retries_exhausted',
      error: { code: 'destination_disabled', message: 'expired', at: new Date().toISOString() },
      expiredOnly: true,
    });
    expect(expired).toBe(0);

    await s.fix(d.id);
    await s.api('POST', `/v1/dlq/${entry.id}/replay`);
    const groupB = arrivals(await collect(d.queueUrl, 2));
    expect(groupB.map((a) => `${a.group}${a.n}`)).toEqual(['b1', 'b2']);
    const { rows } = await sql(
      `select count(*)::int as renewed from deliveries
       where destination_id = $1 and ordering_key = 'b' and expires_at > now() + interval '23 hours'`,
    );
    expect(rows[0].renewed).toBe(2);
  });

  it('DELETE sends what waits behind it to the dead-letter queue as destination_deleted', async () => {
    const d = await held('deleted');
    await s.post(d, 1, 3);
    await collect(d.queueUrl, 6);
    const entry = await s.deadHead(d.id);
    expect((await s.api('DELETE', `/v1/destinations/${d.id}`)).statusCode).toBe(204);
    const deleted = await waitFor(async () => {
      const list = (await s.api('GET', `/v1/dlq?destinationId=${d.id}&reason=destination_deleted`)).json();
      return list.data.length === 2 ? list.data : undefined;
    }, 20_000);
    expect(deleted.map((e: { holdsGroup: boolean }) => e.holdsGroup)).toEqual([false, false]);
    await waitFor(async () => !(await s.api('GET', `/v1/dlq/${entry.id}`)).json().holdsGroup);
    const left = await fx.stack.database.pool.query(
      'select (select count(*)::int from fifo_groups where destination_id = $1) as groups, (select count(*)::int from delivery_queue where destination_id = $1) as queued',
      [d.id],
    );
    expect(left.rows[0]).toEqual({ groups: 0, queued: 0 });
  });

  it('moves with its dead heads when a PATCH regroups; a bulk replay of them goes in their original order', async () => {
    const d = await held('regrouped');
    // x1 and y1 die and hold x and y; then one bucket groups them all.
    for (const [group, n] of [
      ['x', 1],
      ['y', 1],
      ['x', 2],
      ['y', 2],
    ] as const) {
      await d.post({ payload: { group, bucket: 'm', n, poison: n === 1 } });
    }
    const entries = await waitFor(async () => {
      const list = (await s.api('GET', `/v1/dlq?destinationId=${d.id}&holdsGroup=true`)).json();
      return list.data.length === 2 ? list.data : undefined;
    }, 20_000);
    const patched = await s.api('PATCH', `/v1/destinations/${d.id}`, {
      config: { messageGroupIdField: 'payload.bucket' },
      transform: null,
    });
    expect(patched.statusCode).toBe(200);
    await waitFor(async () => {
      const { rows } = await fx.stack.database.pool.query('select regrouping_at from destinations where id = $1', [
        d.id,
      ]);
      return rows[0].regrouping_at === null;
    }, 20_000);
    for (const entry of entries) {
      expect((await s.api('GET', `/v1/dlq/${entry.id}`)).json()).toMatchObject({ holdsGroup: true, waitingBehind: 2 });
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await receiveAll(fx.aws.sqs, d.queueUrl)).toEqual([]);

    const bulk = await s.api('POST', '/v1/dlq/replay', { destinationId: d.id, holdsGroup: 'true' });
    expect(bulk.json().total).toBe(2);
    const messages = await collect(d.queueUrl, 4);
    expect(messages.map((m) => m.Attributes?.MessageGroupId)).toEqual(['m', 'm', 'm', 'm']);
    expect(arrivals(messages).map((a) => `${a.group}${a.n}`)).toEqual(['x1', 'y1', 'x2', 'y2']);
  });
});
