import { collectMessages } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { arrivals, POISON, scenario, turnsOf } from '@sluice/testing/fifo-hold-scenario';
import { startWorkerProcess, type WorkerProcess } from '@sluice/testing/worker-process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/**
 * A held FIFO group lives in PostgreSQL (fifo_groups, the entry's holds_group), not in a worker
 * or in Redis: it stays held through a worker SIGKILL and a Redis FLUSHALL, while the other
 * groups flow, and its replay still goes first. Workers run as child processes to be killed.
 */

let fx: DeliveryFixture;
let s: ReturnType<typeof scenario>;
const running: WorkerProcess[] = [];

beforeAll(async () => {
  fx = await startDeliveryFixture({ workers: false });
  s = scenario(fx);
});
afterEach(async () => {
  for (const worker of running.splice(0)) {
    worker.kill('SIGKILL');
    await worker.exited;
  }
});
afterAll(() => fx.close());

async function worker(): Promise<WorkerProcess> {
  const started = await startWorkerProcess(fx.awsEnv);
  running.push(started);
  return started;
}

const collect = (queueUrl: string, count: number) =>
  collectMessages(fx.aws.sqs, queueUrl, count, { timeoutMs: 30_000 });

describe.each(['sqs', 'sns'] as const)('%s FIFO: a held group', (type) => {
  it('stays held through a worker SIGKILL and a Redis FLUSHALL, then replays in its original turn', async () => {
    const first = await worker();
    const extras = {
      config: { messageGroupIdField: 'payload.group' },
      transform: POISON,
      fifo: { onDeadLetter: 'hold' as const },
    };
    const d =
      type === 'sqs' ? await fx.sqsDestination('killed.fifo', extras) : await fx.snsDestination('killed.fifo', extras);
    await s.post(d, 1, 3);
    const before = arrivals(await collect(d.queueUrl, 6));
    expect(turnsOf(before, 'b')).toEqual([]);
    const entry = await s.deadHead(d.id);
    expect(entry).toMatchObject({ holdsGroup: true, waitingBehind: 2 });

    first.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    await fx.stack.redis.flushall();
    await worker();

    // The new worker sends a4 and c4 (found by the poller, Redis knows nothing) but nothing of b.
    await s.post(d, 4, 4);
    const after = arrivals(await collect(d.queueUrl, 2));
    expect(after.map((a) => `${a.group}${a.n}`).sort()).toEqual(['a4', 'c4']);
    expect((await s.api('GET', `/v1/dlq/${entry.id}`)).json()).toMatchObject({ holdsGroup: true, waitingBehind: 3 });

    await s.fix(d.id);
    expect((await s.api('POST', `/v1/dlq/${entry.id}/replay`)).statusCode).toBe(202);
    const groupB = arrivals(await collect(d.queueUrl, 4));
    expect(groupB.map((a) => `${a.group}${a.n}`)).toEqual(['b1', 'b2', 'b3', 'b4']);
    expect(groupB[0]!.dedupId).toBe(s.keyOf('b', 1));
  }, 120_000);
});
