import type { Message } from '@aws-sdk/client-sqs';
import { defaultMaintenanceOptions } from '@sluice/delivery/destination-maintenance';
import { collectMessages } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { sampleEvent, waitFor } from '@sluice/testing/stack';
import { startWorkerProcess, type WorkerProcess } from '@sluice/testing/worker-process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/**
 * A PATCH that changes how a FIFO destination groups its messages regroups the pending
 * deliveries in the background, behind a barrier no claim passes. Workers run as child
 * processes so a test can SIGKILL one in the middle of a regroup. The middle is made
 * deterministic with a row lock: the test locks one delivery past the regroup's first page,
 * so the regroup commits that page and then waits on the lock (seen in pg_stat_activity).
 */

let fx: DeliveryFixture;
const running: WorkerProcess[] = [];
const heldLocks: (() => Promise<void>)[] = [];
const { batchSize } = defaultMaintenanceOptions;
// Two pages: the first is rekeyed, the second waits on the lock.
const backlog = batchSize + 100;

beforeAll(async () => {
  fx = await startDeliveryFixture({ faults: true, workers: false });
});
afterEach(async () => {
  for (const release of heldLocks.splice(0)) await release();
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

const sql = async (text: string, values: unknown[]) => (await fx.stack.database.pool.query(text, values)).rows;
const call = (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
  fx.stack.app.inject({ method, url, headers: fx.auth, ...(payload ? { payload } : {}) });
const regroupBy = (id: string, field: string) =>
  call('PATCH', `/v1/destinations/${id}`, { config: { messageGroupIdField: `payload.${field}` } });
const isRegrouping = async (id: string) =>
  (await sql('select regrouping_at from destinations where id = $1', [id]))[0].regrouping_at !== null;
const sends = () => fx.proxy!.requests.filter((request) => request.action === 'SendMessageBatch').length;

/** How many of the destination's deliveries carry `payload.<field>` as their group key, and how many do not. */
const keyCensus = async (id: string, field: string) =>
  (
    await sql(
      `select count(*) filter (where d.ordering_key = e.payload->>$2)::int as new,
              count(*) filter (where d.ordering_key is distinct from e.payload->>$2)::int as old
       from deliveries d join events e on e.id = d.event_id where d.destination_id = $1`,
      [id, field],
    )
  )[0];

/** A paused FIFO destination (grouped by customer) with `count` deliveries in line (a worker must run). */
async function heldFifoBacklog(name: string, count: number, payloadOf: (n: number) => Record<string, unknown>) {
  const destination = await fx.sqsDestination(name);
  await call('POST', `/v1/destinations/${destination.id}/pause`);
  const events: string[] = [];
  for (let start = 0; start < count; start += 500) {
    const items = Array.from({ length: Math.min(500, count - start) }, (_, i) =>
      sampleEvent({ customerExternalId: destination.customerExternalId, payload: payloadOf(start + i) }),
    );
    const response = await call('POST', '/v1/events/batch', { events: items });
    events.push(...response.json().results.map((result: { id: string }) => result.id));
  }
  await waitFor(async () => {
    const rows = await sql('select count(*)::int as n from deliveries where destination_id = $1', [destination.id]);
    return rows[0].n === count;
  }, 60_000);
  fx.proxy!.clear();
  return { ...destination, events };
}

/** Locks one delivery of the second page: a regroup started now stops after its first page. */
async function holdRegroupMidway(destinationId: string) {
  const blocker = await fx.stack.database.pool.connect();
  await blocker.query('begin');
  // Found first, then locked: FOR UPDATE with OFFSET would lock every row it skips too.
  await blocker.query(
    `select id from deliveries
     where id = (select id from deliveries where destination_id = $1 order by id offset $2 limit 1)
     for update`,
    [destinationId, batchSize + 50],
  );
  const { pid } = (await blocker.query('select pg_backend_pid() as pid')).rows[0];
  let held = true;
  const release = async () => {
    if (!held) return;
    held = false;
    await blocker.query('rollback');
    blocker.release();
  };
  heldLocks.push(release);
  return {
    reached: () =>
      waitFor(async () => {
        const waiting = await sql(
          'select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))',
          [pid],
        );
        return waiting[0].n > 0;
      }, 30_000),
    release,
  };
}

/** Waits for the barrier to lift, checking on every look that nothing was sent while it stood. */
async function barrierLifted(id: string) {
  await waitFor(async () => {
    const sent = sends();
    if (!(await isRegrouping(id))) return true;
    expect(sent).toBe(0);
    return false;
  }, 90_000);
}

/** Every event arrived once, in its group (`payload.<field>`) and in accept order within it. */
function expectGroupedInOrder(messages: Message[], events: string[], field: string) {
  const bodies = messages.map((m) => ({ group: m.Attributes?.MessageGroupId, body: JSON.parse(m.Body!) }));
  expect(bodies.map((b) => b.body.id).sort()).toEqual([...events].sort());
  const byGroup = new Map<string, number[]>();
  for (const { group, body } of bodies) {
    expect(group).toBe(body.payload[field]);
    byGroup.set(group!, [...(byGroup.get(group!) ?? []), body.payload.n]);
  }
  for (const ns of byGroup.values()) expect(ns).toEqual([...ns].sort((a, b) => a - b));
}

describe('regrouping a FIFO backlog', () => {
  it('completes after the worker is SIGKILLed midway, and nothing is claimed while keys are mixed', async () => {
    await worker();
    const { id, queueUrl, events } = await heldFifoBacklog('regroup-killed.fifo', backlog, (n) => ({
      group: `g${n % 20}`,
      n,
    }));
    const first = running[0]!;
    const hold = await holdRegroupMidway(id);
    expect((await regroupBy(id, 'group')).statusCode).toBe(200);
    expect((await call('POST', `/v1/destinations/${id}/resume`)).statusCode).toBe(200);
    await hold.reached();

    // Midway: the first page has its new keys, the rest still the old ones, and nothing left.
    expect(await keyCensus(id, 'group')).toEqual({ new: batchSize, old: backlog - batchSize });
    expect(sends()).toBe(0);
    first.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    await hold.release();

    await worker();
    await barrierLifted(id);
    expect(await keyCensus(id, 'group')).toEqual({ new: backlog, old: 0 });
    const messages = await collectMessages(fx.aws.sqs, queueUrl, backlog, { timeoutMs: 90_000 });
    expectGroupedInOrder(messages, events, 'group');
  }, 240_000);

  it('starts a regroup again whose job Redis lost', async () => {
    const fanOut = await worker();
    const { id, queueUrl, events } = await heldFifoBacklog('regroup-lost.fifo', 6, (n) => ({ group: `g${n % 2}`, n }));
    fanOut.kill('SIGTERM');
    expect(await fanOut.exited).toBe(0);
    expect((await regroupBy(id, 'group')).statusCode).toBe(200);
    await fx.stack.redis.flushall();

    // The new worker's sweeper finds the destination still marked and starts its regroup.
    await worker();
    await barrierLifted(id);
    expect(await keyCensus(id, 'group')).toEqual({ new: 6, old: 0 });
    await call('POST', `/v1/destinations/${id}/resume`);
    expectGroupedInOrder(await collectMessages(fx.aws.sqs, queueUrl, 6), events, 'group');
  }, 120_000);

  it('applies the grouping of a second PATCH made while the first regroup runs', async () => {
    await worker();
    const { id, queueUrl, events } = await heldFifoBacklog('regroup-twice.fifo', backlog, (n) => ({
      first: `f${n % 10}`,
      second: `s${n % 7}`,
      n,
    }));
    const hold = await holdRegroupMidway(id);
    expect((await regroupBy(id, 'first')).statusCode).toBe(200);
    await hold.reached();
    expect((await regroupBy(id, 'second')).statusCode).toBe(200);
    await hold.release();

    await barrierLifted(id);
    expect(await keyCensus(id, 'second')).toEqual({ new: backlog, old: 0 });
    await call('POST', `/v1/destinations/${id}/resume`);
    const messages = await collectMessages(fx.aws.sqs, queueUrl, backlog, { timeoutMs: 90_000 });
    expectGroupedInOrder(messages, events, 'second');
  }, 240_000);

  it('dead-letters the whole backlog of a destination deleted while its regroup was cut short', async () => {
    await worker();
    const { id } = await heldFifoBacklog('regroup-deleted.fifo', backlog, (n) => ({ group: `g${n % 20}`, n }));
    const first = running[0]!;
    const hold = await holdRegroupMidway(id);
    expect((await regroupBy(id, 'group')).statusCode).toBe(200);
    await hold.reached();
    expect((await call('DELETE', `/v1/destinations/${id}`)).statusCode).toBe(204);
    // The regroup never finishes (a deleted destination is not regrouped): its new keys have no group rows.
    first.kill('SIGKILL');
    await first.exited;
    await hold.release();

    await worker();
    await waitFor(async () => {
      const [left] = await sql(
        `select (select count(*) from delivery_queue where destination_id = $1)::int as queued,
                (select count(*) from dlq_entries where destination_id = $1 and reason = 'destination_deleted')::int as dead`,
        [id],
      );
      return left.queued === 0 && left.dead === backlog;
    }, 90_000);
    expect(
      await sql("select count(*)::int as n from deliveries where destination_id = $1 and status <> 'dead'", [id]),
    ).toEqual([{ n: 0 }]);
    expect(sends()).toBe(0);
  }, 240_000);
});
