import { collectMessages, receiveAll } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { arrivals, POISON, scenario, turnsOf } from '@sluice/testing/fifo-hold-scenario';
import { waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * fifo.onDeadLetter on FIFO SQS queues and SNS topics: three groups, the head of group b dies
 * permanently. With skip the group goes on and a replay arrives last; with hold nothing of b
 * arrives until the replay, which arrives first, then the rest of b in order, while a and c
 * flowed the whole time; a discard releases the group. SIGKILL and FLUSHALL: fifo-hold-recovery.
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

describe.each(['sqs', 'sns'] as const)('%s FIFO: a group whose head dies', (type) => {
  const destination = (name: string, onDeadLetter: 'skip' | 'hold') => {
    const extras = { config: { messageGroupIdField: 'payload.group' }, transform: POISON, fifo: { onDeadLetter } };
    return type === 'sqs' ? fx.sqsDestination(`${name}.fifo`, extras) : fx.snsDestination(`${name}.fifo`, extras);
  };

  it('skip: the rest of the group arrives, and the replayed message arrives last', async () => {
    const d = await destination('skip', 'skip');
    expect((await s.api('GET', `/v1/destinations/${d.id}`)).json().fifo).toEqual({ onDeadLetter: 'skip' });
    await s.post(d, 1, 4);
    const flowed = arrivals(await collect(d.queueUrl, 11));
    expect(turnsOf(flowed, 'a')).toEqual([1, 2, 3, 4]);
    expect(turnsOf(flowed, 'b')).toEqual([2, 3, 4]);
    expect(turnsOf(flowed, 'c')).toEqual([1, 2, 3, 4]);
    const entry = await s.deadHead(d.id);
    expect(entry).toMatchObject({ reason: 'transform_failed', holdsGroup: false, waitingBehind: 0 });

    await s.fix(d.id);
    expect((await s.api('POST', `/v1/dlq/${entry.id}/replay`)).statusCode).toBe(202);
    const replayed = arrivals(await collect(d.queueUrl, 1));
    expect(replayed).toEqual([{ group: 'b', n: 1, dedupId: s.keyOf('b', 1) }]);
  });

  it('hold: nothing of the group arrives until the replay, then the replayed message first and the rest in order', async () => {
    const d = await destination('hold', 'hold');
    await s.post(d, 1, 4);
    // a and c flow while b waits behind b1.
    const flowed = arrivals(await collect(d.queueUrl, 8));
    expect(turnsOf(flowed, 'a')).toEqual([1, 2, 3, 4]);
    expect(turnsOf(flowed, 'c')).toEqual([1, 2, 3, 4]);
    expect(turnsOf(flowed, 'b')).toEqual([]);
    const entry = await s.deadHead(d.id);
    expect(entry).toMatchObject({ reason: 'transform_failed', holdsGroup: true, waitingBehind: 3 });
    expect((await s.api('GET', `/v1/dlq/${entry.id}`)).json()).toMatchObject({ holdsGroup: true, waitingBehind: 3 });
    expect((await s.api('GET', `/v1/dlq?destinationId=${d.id}&holdsGroup=true`)).json().data).toHaveLength(1);

    // b's later messages wait without attempts, and say why.
    const waiting = await s.pendingOfGroupB(d.id);
    expect(waiting).toHaveLength(3);
    for (const delivery of waiting) {
      expect(delivery).toMatchObject({ attempts: 0, nextAttemptAt: null, lastError: { code: 'group_held' } });
    }
    // Outcomes of a and c are recorded just after their messages arrive.
    const stats = await waitFor(async () => {
      const read = (await s.api('GET', `/v1/stats?destinationId=${d.id}`)).json();
      return read.pending === 3 ? read : undefined;
    });
    expect(stats).toMatchObject({ pending: 3, held: 3, dlqOpen: 1 });
    const metrics = (await fx.stack.app.inject('/metrics')).body;
    expect(metrics).toMatch(new RegExp(`^sluice_fifo_held_groups\\{[^}]*destination_id="${d.id}"[^}]*\\} 1$`, 'm'));

    // New messages of a and c still flow; b5 waits too.
    await s.post(d, 5, 5);
    const later = arrivals(await collect(d.queueUrl, 2));
    expect(later.map((a) => `${a.group}${a.n}`).sort()).toEqual(['a5', 'c5']);
    expect((await s.api('GET', `/v1/dlq/${entry.id}`)).json().waitingBehind).toBe(4);

    await s.fix(d.id);
    expect((await s.api('POST', `/v1/dlq/${entry.id}/replay`)).json()).toEqual({ deliveryId: entry.deliveryId });
    const groupB = arrivals(await collect(d.queueUrl, 5));
    expect(groupB.map((a) => `${a.group}${a.n}`)).toEqual(['b1', 'b2', 'b3', 'b4', 'b5']);
    expect(groupB[0]!.dedupId).toBe(s.keyOf('b', 1));
    await waitFor(async () => (await s.api('GET', `/v1/dlq/${entry.id}`)).json().state === 'resolved');
    expect((await s.api('GET', `/v1/stats?destinationId=${d.id}`)).json()).toMatchObject({ pending: 0, held: 0 });
    expect((await fx.stack.app.inject('/metrics')).body).not.toContain(`destination_id="${d.id}"`);
  });

  it('hold: a discard releases the group, which goes on in order without the dead message', async () => {
    const d = await destination('discard', 'hold');
    await s.post(d, 1, 3);
    await collect(d.queueUrl, 6);
    const entry = await s.deadHead(d.id);
    expect(entry.holdsGroup).toBe(true);
    expect((await s.api('POST', `/v1/dlq/${entry.id}/discard`)).statusCode).toBe(204);
    const groupB = arrivals(await collect(d.queueUrl, 2));
    expect(groupB.map((a) => `${a.group}${a.n}`)).toEqual(['b2', 'b3']);
    expect((await s.api('GET', `/v1/deliveries/${entry.deliveryId}`)).json().status).toBe('discarded');
  });
});

describe('fifo.onDeadLetter settings', () => {
  it('is refused with a 400 that says why on standard queues and topics, Kinesis and EventBridge', async () => {
    const create = (type: string, config: Record<string, unknown>) =>
      s.api('POST', '/v1/destinations', {
        name: 'no groups',
        customerExternalId: 'fifo-settings',
        type,
        config,
        auth: { mode: 'assume_role', roleArn: 'arn:aws:iam::000000000000:role/none' },
        fifo: { onDeadLetter: 'hold' },
      });
    const standard = await fx.sqsDestination('standard');
    const queueUrl = (await s.api('GET', `/v1/destinations/${standard.id}`)).json().config.queueUrl;
    const refusals = [
      await create('sqs', { queueUrl }),
      await create('kinesis', { streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/s' }),
      await create('eventbridge', { eventBusArn: 'arn:aws:events:us-east-1:000000000000:event-bus/b' }),
      await s.api('PATCH', `/v1/destinations/${standard.id}`, { fifo: { onDeadLetter: 'hold' } }),
    ];
    for (const refused of refusals) {
      expect(refused.statusCode).toBe(400);
      expect(refused.json().errors).toEqual([
        { path: 'fifo', message: expect.stringContaining('only to FIFO SQS queues and SNS topics') },
      ]);
    }
    expect(refusals[0]!.json().detail).toContain('standard');
    expect(refusals[1]!.json().detail).toContain('no message groups');
    expect((await s.api('GET', `/v1/destinations/${standard.id}`)).json().fifo).toBeNull();
    const unknown = await s.api('PATCH', `/v1/destinations/${standard.id}`, { fifo: { onDeadLetter: 'wait' } });
    expect(unknown.statusCode).toBe(400);
  });

  it('PATCH to hold applies to what is pending: a delivery already in line that then dies holds its group', async () => {
    const d = await fx.sqsDestination('later-hold.fifo', {
      config: { messageGroupIdField: 'payload.group' },
      transform: POISON,
    });
    await s.api('POST', `/v1/destinations/${d.id}/pause`);
    await s.post(d, 1, 2);
    const patched = await s.api('PATCH', `/v1/destinations/${d.id}`, { fifo: { onDeadLetter: 'hold' } });
    expect(patched.json().fifo).toEqual({ onDeadLetter: 'hold' });
    await s.api('POST', `/v1/destinations/${d.id}/resume`);
    const flowed = arrivals(await collect(d.queueUrl, 4));
    expect(turnsOf(flowed, 'b')).toEqual([]);
    expect(await s.deadHead(d.id)).toMatchObject({ holdsGroup: true, waitingBehind: 1 });
  });

  it('PATCH back to skip applies to what is pending: the held group goes on at once', async () => {
    const d = await fx.sqsDestination('unhold.fifo', {
      config: { messageGroupIdField: 'payload.group' },
      transform: POISON,
      fifo: { onDeadLetter: 'hold' },
    });
    await s.post(d, 1, 3);
    await collect(d.queueUrl, 6);
    const entry = await s.deadHead(d.id);
    expect(entry.holdsGroup).toBe(true);
    const patched = await s.api('PATCH', `/v1/destinations/${d.id}`, { fifo: { onDeadLetter: 'skip' } });
    expect(patched.json().fifo).toEqual({ onDeadLetter: 'skip' });
    const groupB = arrivals(await collect(d.queueUrl, 2));
    expect(groupB.map((a) => `${a.group}${a.n}`)).toEqual(['b2', 'b3']);
    // The entry stays in the dead-letter queue, holding nothing; replayed, it goes behind the group.
    expect((await s.api('GET', `/v1/dlq/${entry.id}`)).json()).toMatchObject({ state: 'open', holdsGroup: false });
    expect(await receiveAll(fx.aws.sqs, d.queueUrl)).toEqual([]);
  });
});
