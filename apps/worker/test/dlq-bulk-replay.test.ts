import { GetQueueAttributesCommand, type Message } from '@aws-sdk/client-sqs';
import { receiveAll } from '@sluice/testing/aws-test-resources';
import {
  type DeliveryFixture,
  type RegisteredDestination,
  startDeliveryFixture,
} from '@sluice/testing/delivery-fixture';
import { sampleEvent, waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let fx: DeliveryFixture;
beforeAll(async () => {
  // Thousands of events posted at once: well past the default ingest rate, which is not tested here.
  fx = await startDeliveryFixture({ faults: true, env: { DEFAULT_INGEST_PER_SECOND: '100000' } });
});
afterAll(() => fx.close());

const api = (method: 'GET' | 'POST', url: string, payload?: object, headers = fx.auth) =>
  fx.stack.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });

async function postMany(
  destination: RegisteredDestination,
  count: number,
  payload: (n: number) => object = () => ({}),
) {
  for (let start = 0; start < count; start += 500) {
    const events = Array.from({ length: Math.min(500, count - start) }, (_, i) =>
      sampleEvent({ customerExternalId: destination.customerExternalId, payload: payload(start + i) }),
    );
    const response = await api('POST', '/v1/events/batch', { events });
    expect(response.json().results.every((r: { status: string }) => r.status === 'accepted')).toBe(true);
  }
}

const openEntries = async (destinationId: string) =>
  Number(
    (
      await fx.stack.database.pool.query(
        "select count(*) from dlq_entries where destination_id = $1 and state = 'open'",
        [destinationId],
      )
    ).rows[0].count,
  );

/** Every send fails with AccessDenied until the fault is "fixed". */
async function killAll(destination: RegisteredDestination, count: number, payload?: (n: number) => object) {
  fx.proxy!.inject({
    action: 'SendMessageBatch',
    fault: { kind: 'error', status: 403, code: 'AccessDenied' },
    times: 1_000_000,
  });
  await postMany(destination, count, payload);
  await waitFor(async () => (await openEntries(destination.id)) === count, 60_000);
  fx.proxy!.clear();
}

async function finished(replayId: string) {
  return waitFor(async () => {
    const status = (await api('GET', `/v1/dlq/replays/${replayId}`)).json();
    return status.status === 'done' ? status : undefined;
  }, 60_000);
}

describe('bulk replay', () => {
  it('replays every matching entry into a FIFO queue exactly once, in order per group, and audits it', async () => {
    const destination = await fx.sqsDestination('bulk.fifo', { config: { messageGroupIdField: 'payload.group' } });
    await killAll(destination, 12, (n) => ({ group: `g${n % 3}`, n }));
    const started = await api('POST', '/v1/dlq/replay', { destinationId: destination.id });
    expect(started.statusCode).toBe(202);
    expect(started.json()).toEqual({ replayId: expect.any(String), total: 12 });
    expect(await finished(started.json().replayId)).toMatchObject({ total: 12, replayed: 12, failed: 0 });

    const messages: Message[] = [];
    await waitFor(async () => {
      messages.push(...(await receiveAll(fx.aws.sqs, destination.queueUrl)));
      return messages.length >= 12;
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    messages.push(...(await receiveAll(fx.aws.sqs, destination.queueUrl)));
    expect(messages).toHaveLength(12);
    for (const group of ['g0', 'g1', 'g2']) {
      const ns = messages
        .filter((m) => m.Attributes?.MessageGroupId === group)
        .map((m) => JSON.parse(m.Body!).payload.n);
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
    }
    const audit = await fx.stack.database.pool.query(
      "select actor_kind, filter from dlq_audit where action = 'bulk_replay'",
    );
    expect(audit.rows).toContainEqual({ actor_kind: 'api_key', filter: { destinationId: destination.id } });
  });

  it('finishes at once a replay that matches nothing', async () => {
    const destination = await fx.sqsDestination('nothing-dead');
    const started = (await api('POST', '/v1/dlq/replay', { destinationId: destination.id })).json();
    expect(started.total).toBe(0);
    expect((await api('GET', `/v1/dlq/replays/${started.replayId}`)).json()).toEqual({
      replayId: started.replayId,
      status: 'done',
      total: 0,
      replayed: 0,
      failed: 0,
    });
  });

  it('replays only the entries that matched when it started', async () => {
    const destination = await fx.sqsDestination('snapshot');
    await killAll(destination, 3);
    await api('POST', `/v1/destinations/${destination.id}/pause`);
    const { replayId, total } = (await api('POST', '/v1/dlq/replay', { destinationId: destination.id })).json();
    expect(total).toBe(3);
    // An entry that dies after the replay started is not part of it.
    fx.proxy!.inject({
      action: 'SendMessageBatch',
      fault: { kind: 'error', status: 403, code: 'AccessDenied' },
      times: 1,
    });
    await api('POST', `/v1/destinations/${destination.id}/resume`);
    await destination.post();
    expect(await finished(replayId)).toMatchObject({ total: 3, replayed: 3, failed: 0 });
  });

  it('finishes a replay of 5,000 entries and reports correct counts', async () => {
    const destination = await fx.sqsDestination('five-thousand');
    await killAll(destination, 5_000);
    const { replayId, total } = (
      await api('POST', '/v1/dlq/replay', { destinationId: destination.id, reason: 'permanent_error' })
    ).json();
    expect(total).toBe(5_000);
    const progress = (await api('GET', `/v1/dlq/replays/${replayId}`)).json();
    expect(progress.replayed + progress.failed).toBeLessThanOrEqual(5_000);
    expect(await finished(replayId)).toEqual({ replayId, status: 'done', total: 5_000, replayed: 5_000, failed: 0 });
    await waitFor(async () => {
      const delivered = await fx.stack.database.pool.query(
        "select count(*) from deliveries where destination_id = $1 and status = 'delivered'",
        [destination.id],
      );
      return Number(delivered.rows[0].count) === 5_000;
    }, 60_000);
    const attributes = await fx.aws.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: destination.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    expect(Number(attributes.Attributes?.ApproximateNumberOfMessages)).toBe(5_000);
    expect(await openEntries(destination.id)).toBe(0);
  }, 180_000);

  it('finishes a replay whose job Redis lost midway: the sweeper gives it back, and no entry is replayed twice', async () => {
    const destination = await fx.sqsDestination('lost-replay');
    await killAll(destination, 1_500);
    const { replayId } = (await api('POST', '/v1/dlq/replay', { destinationId: destination.id })).json();
    // Midway (it runs a slice at a time, 500 entries/s), Redis loses the job and every wake-up.
    await waitFor(async () => (await api('GET', `/v1/dlq/replays/${replayId}`)).json().replayed >= 200, 30_000);
    await fx.stack.redis.flushall();
    expect((await fx.stack.workers!.sweeper.sweepOnce()).replays).toBeGreaterThanOrEqual(1);
    expect(await finished(replayId)).toEqual({ replayId, status: 'done', total: 1_500, replayed: 1_500, failed: 0 });
    await waitFor(async () => {
      const delivered = await fx.stack.database.pool.query(
        "select count(*) from deliveries where destination_id = $1 and status = 'delivered'",
        [destination.id],
      );
      return Number(delivered.rows[0].count) === 1_500;
    }, 60_000);
    const attributes = await fx.aws.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: destination.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    expect(Number(attributes.Attributes?.ApproximateNumberOfMessages)).toBe(1_500);
  }, 120_000);
});
