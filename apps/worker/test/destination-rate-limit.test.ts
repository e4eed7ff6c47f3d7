import { collectMessages } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { sampleEvent, waitFor } from '@sluice/testing/stack';
import { startWorkerProcess, type WorkerProcess } from '@sluice/testing/worker-process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A destination's send rate, with two real worker processes sharing it: rateLimit is never
 * exceeded over both (counted by arrival in the emulator's queue), and a destination AWS
 * throttles is slowed down by Sluice itself until the throttling stops.
 */

let fx: DeliveryFixture;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  fx = await startDeliveryFixture({ faults: true, workers: false });
  for (let n = 0; n < 2; n++) workers.push(await startWorkerProcess(fx.awsEnv));
}, 120_000);
afterAll(async () => {
  for (const worker of workers) {
    worker.kill('SIGKILL');
    await worker.exited;
  }
  await fx.close();
});

/** Posts `count` events for the customer in batches (one accept each, so they are due at once). */
async function postMany(
  customerExternalId: string,
  count: number,
  payloadOf: (n: number) => Record<string, unknown> = (n) => ({ n }),
): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 100) {
    const events = Array.from({ length: Math.min(100, count - start) }, (_, i) =>
      sampleEvent({ customerExternalId, payload: payloadOf(start + i) }),
    );
    const response = await fx.stack.app.inject({
      method: 'POST',
      url: '/v1/events/batch',
      headers: fx.auth,
      payload: { events },
    });
    expect(response.statusCode, response.body).toBe(200);
    ids.push(...response.json().results.map((r: { id: string }) => r.id));
  }
  return ids;
}

/** The most timestamps (ms) that fall in any window of `windowMs`. */
function busiestWindow(timestamps: number[], windowMs: number): number {
  const sorted = [...timestamps].sort((a, b) => a - b);
  let most = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while (sorted[last]! - sorted[first]! >= windowMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

const healthOf = async (destinationId: string) =>
  (await fx.stack.app.inject({ method: 'GET', url: `/v1/destinations/${destinationId}`, headers: fx.auth })).json()
    .health as { state: string };

describe('destination send rates over two worker processes', () => {
  it('never sends more than rateLimit.perSecond (plus the burst) in any one-second window, and delivers everything', async () => {
    fx.proxy!.clear();
    const perSecond = 20;
    // The bucket holds a tenth of a second of the rate (API docs: rateLimit).
    const burst = Math.ceil(perSecond / 10);
    const { queueUrl, customerExternalId } = await fx.sqsDestination('rate-limited', { rateLimit: { perSecond } });
    const ids = await postMany(customerExternalId, 200);

    const messages = await collectMessages(fx.aws.sqs, queueUrl, 200, { timeoutMs: 60_000 });
    expect(messages.map((m) => JSON.parse(m.Body!).id).sort()).toEqual([...ids].sort());
    const arrivals = messages.map((m) => Number(m.Attributes?.SentTimestamp));
    expect(arrivals.every((at) => Number.isFinite(at) && at > 0)).toBe(true);
    expect(busiestWindow(arrivals, 1_000)).toBeLessThanOrEqual(perSecond + burst);
  }, 90_000);

  it('paces a FIFO destination the same way, each group in order', async () => {
    fx.proxy!.clear();
    const perSecond = 10;
    const { queueUrl, customerExternalId } = await fx.sqsDestination('rate-limited.fifo', {
      rateLimit: { perSecond },
      config: { messageGroupIdField: 'payload.group' },
    });
    const ids = await postMany(customerExternalId, 40, (n) => ({ group: `g${n % 4}`, n }));

    const messages = await collectMessages(fx.aws.sqs, queueUrl, 40, { timeoutMs: 60_000 });
    expect(messages.map((m) => JSON.parse(m.Body!).id).sort()).toEqual([...ids].sort());
    const arrivals = messages.map((m) => Number(m.Attributes?.SentTimestamp));
    expect(busiestWindow(arrivals, 1_000)).toBeLessThanOrEqual(perSecond + Math.ceil(perSecond / 10));
    for (const group of ['g0', 'g1', 'g2', 'g3']) {
      const sent = messages.map((m) => JSON.parse(m.Body!).payload).filter((p) => p.group === group);
      expect(sent.map((p) => p.n)).toEqual(sent.map((p) => p.n).sort((a: number, b: number) => a - b));
    }
  }, 90_000);

  it('slows a throttled destination down while AWS throttles it, then delivers everything', async () => {
    fx.proxy!.clear();
    // No rateLimit of its own; maxAttempts 1: a throttled attempt must not use up the message's budget.
    const { id, queueUrl, customerExternalId } = await fx.sqsDestination('throttled', { retry: { maxAttempts: 1 } });
    fx.proxy!.inject({
      action: 'SendMessageBatch',
      fault: { kind: 'error', status: 400, code: 'RequestThrottled', message: 'Rate exceeded' },
      times: 1_000_000,
    });
    const ids = await postMany(customerExternalId, 100);
    await waitFor(async () => (await healthOf(id)).state === 'throttled', 20_000);
    // Throttled for six seconds from the first throttled attempt.
    const firstAt = await waitFor(async () => {
      const { rows } = await fx.stack.database.pool.query(
        `select min(a.at) as at from delivery_attempts a join deliveries d on d.id = a.delivery_id
         where d.destination_id = $1`,
        [id],
      );
      return rows[0]?.at ? (rows[0].at as Date).getTime() : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, firstAt + 6_000 - Date.now())));
    expect((await healthOf(id)).state).toBe('throttled');
    // Every worker's drain learns of the slowdown from the health row, also once it reads healthy again.
    const { rows: marks } = await fx.stack.database.pool.query(
      'select slowed_until > now() as slowed from destination_health where destination_id = $1',
      [id],
    );
    expect(marks).toEqual([{ slowed: true }]);
    fx.proxy!.clear();
    const clearedAt = Date.now();

    const messages = await collectMessages(fx.aws.sqs, queueUrl, 100, { timeoutMs: 60_000 });
    expect(messages.map((m) => JSON.parse(m.Body!).id).sort()).toEqual([...ids].sort());
    const { rows: statuses } = await fx.stack.database.pool.query(
      'select status, count(*)::int as n from deliveries where destination_id = $1 group by status',
      [id],
    );
    expect(statuses).toEqual([{ status: 'delivered', n: 100 }]);
    await waitFor(async () => (await healthOf(id)).state === 'healthy', 20_000);

    // Throttled attempts per second of the fault: every message was tried at once, and then
    // the shared rate halved again and again, whichever worker sent.
    const { rows } = await fx.stack.database.pool.query(
      `select floor((extract(epoch from a.at) * 1000 - $2) / 1000)::int as second, count(*)::int as attempts
       from delivery_attempts a join deliveries d on d.id = a.delivery_id
       where d.destination_id = $1 and a.error_code = 'RequestThrottled' and a.at < to_timestamp($3 / 1000.0)
       group by 1 order by 1`,
      [id, firstAt, clearedAt],
    );
    const perSecond = new Map(rows.map((r: { second: number; attempts: number }) => [r.second, r.attempts]));
    const first = perSecond.get(0) ?? 0;
    expect(first, JSON.stringify(rows)).toBeGreaterThanOrEqual(50);
    const late = Math.max(perSecond.get(4) ?? 0, perSecond.get(5) ?? 0);
    expect(late, JSON.stringify(rows)).toBeLessThanOrEqual(first / 4);
  }, 120_000);
});
