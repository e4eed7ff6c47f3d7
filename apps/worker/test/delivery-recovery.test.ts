import { collectMessages } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { waitFor } from '@sluice/testing/stack';
import { startWorkerProcess, type WorkerProcess } from '@sluice/testing/worker-process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

// Workers run as child processes here, so a test can SIGKILL or SIGTERM them mid-batch.
let fx: DeliveryFixture;
const running: WorkerProcess[] = [];
const leaseSeconds = 2;

beforeAll(async () => {
  fx = await startDeliveryFixture({ faults: true, workers: false });
});
afterEach(async () => {
  for (const worker of running.splice(0)) {
    worker.kill('SIGKILL');
    await worker.exited;
  }
});
afterAll(() => fx.close());

async function worker(): Promise<WorkerProcess> {
  const started = await startWorkerProcess({ ...fx.awsEnv, DELIVERY_LEASE_SECONDS: String(leaseSeconds) });
  running.push(started);
  return started;
}

const collect = (queueUrl: string, count: number, timeoutMs = 20_000) =>
  collectMessages(fx.aws.sqs, queueUrl, count, { timeoutMs });

const sendInFlight = () => waitFor(async () => fx.proxy!.requests.some((r) => r.fault === 'delay'));
const statuses = async (destinationId: string) =>
  (
    await fx.stack.database.pool.query('select status, attempts from deliveries where destination_id = $1', [
      destinationId,
    ])
  ).rows as { status: string; attempts: number }[];

describe('recovery', () => {
  it('loses nothing when a worker is killed with SIGKILL mid-batch; FIFO dedup absorbs the resend', async () => {
    const { id, queueUrl, post } = await fx.sqsDestination('killed.fifo', {
      config: { messageGroupIdField: 'payload.group' },
    });
    fx.proxy!.clear();
    fx.proxy!.inject({ action: 'SendMessageBatch', fault: { kind: 'delay', ms: 1_500 }, times: 1 });
    const eventIds: string[] = [];
    for (let n = 0; n < 8; n++) eventIds.push(await post({ payload: { group: `g${n}`, n } }));
    const first = await worker();
    await sendInFlight();
    first.kill('SIGKILL');
    expect(await first.exited).toBeNull();

    // The claimed deliveries stay claimed until the lease ends; then another worker sends them.
    await worker();
    const messages = await collect(queueUrl, eventIds.length);
    expect(messages.map((m) => JSON.parse(m.Body!).id).sort()).toEqual([...eventIds].sort());
    await waitFor(async () => (await statuses(id)).every((d) => d.status === 'delivered'), 30_000);
  }, 60_000);

  it('finishes the batch in flight on SIGTERM, records it, and exits 0', async () => {
    const { id, queueUrl, post } = await fx.sqsDestination('graceful');
    fx.proxy!.clear();
    fx.proxy!.inject({ action: 'SendMessageBatch', fault: { kind: 'delay', ms: 1_000 }, times: 1 });
    const eventId = await post();
    const stopping = await worker();
    await sendInFlight();
    stopping.kill('SIGTERM');
    expect(await stopping.exited).toBe(0);
    expect(await statuses(id)).toEqual([{ status: 'delivered', attempts: 1 }]);
    const messages = await collect(queueUrl, 1);
    expect(messages.map((m) => JSON.parse(m.Body!).id)).toEqual([eventId]);
  }, 60_000);

  it('loses nothing when Redis loses everything (FLUSHALL) under load', async () => {
    const { id, queueUrl, post } = await fx.sqsDestination('flushed');
    fx.proxy!.clear();
    await worker();
    const eventIds: string[] = [];
    for (let n = 0; n < 40; n++) {
      eventIds.push(await post({ payload: { n } }));
      if (n === 20) await fx.stack.redis.flushall();
    }
    await fx.stack.redis.flushall();
    // The worker process's own sweeper runs on its interval; a restart runs it at once.
    const recovered = await worker();
    expect(recovered.output()).toContain('workers started');
    const messages = await collect(queueUrl, eventIds.length, 30_000);
    expect(new Set(messages.map((m) => JSON.parse(m.Body!).id))).toEqual(new Set(eventIds));
    await waitFor(async () => (await statuses(id)).every((d) => d.status === 'delivered'), 30_000);
  }, 90_000);
});
