import { createDestinationInspections } from '@sluice/db/repositories/destination-inspections';
import { createQueue, receiveAll } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A queue's own MaximumMessageSize is learned from AWS when the destination is created, when its
 * config changes, and by the worker's periodic inspection (for a role that trusts Sluice only
 * later): a message above it goes to the dead-letter queue as payload_too_large without being
 * sent, whether or not anyone ever called the test endpoint.
 */

let fx: DeliveryFixture;
beforeAll(async () => {
  fx = await startDeliveryFixture();
});
afterAll(() => fx.close());

let counter = 0;
const queueWithLimit = (bytes: number) =>
  createQueue(fx.aws.sqs, `limited-${process.pid}-${++counter}`, { MaximumMessageSize: String(bytes) });
const storedLimit = async (id: string): Promise<number | null> =>
  (await fx.stack.database.pool.query('select max_message_bytes from destinations where id = $1', [id])).rows[0]
    .max_message_bytes;
const request = (method: 'POST' | 'PATCH', url: string, payload: Record<string, unknown>) =>
  fx.stack.app.inject({ method, url, headers: fx.auth, payload });

describe("a destination's size limit", () => {
  it('is read from AWS at create and again when its config changes', async () => {
    const created = await request('POST', '/v1/destinations', {
      name: 'keyed',
      customerExternalId: `keyed-${process.pid}`,
      type: 'sqs',
      config: { queueUrl: await queueWithLimit(2048) },
      // Access keys work at once (the emulator takes any); no role trust to wait for.
      auth: { mode: 'access_key', accessKeyId: 'AKIALIMITS0000000001', secretAccessKey: 'secret-key-of-the-customer' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const { id } = created.json();
    expect(await storedLimit(id)).toBe(2048);

    const moved = await request('PATCH', `/v1/destinations/${id}`, {
      config: { queueUrl: await queueWithLimit(4096) },
    });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(await storedLimit(id)).toBe(4096);
  });

  it('does not fail the create when AWS cannot be asked yet, and is learned by the inspection pass later', async () => {
    const queueUrl = await queueWithLimit(2048);
    // The fixture trusts the role only after the create answered (the ExternalId is new then).
    const { id, post } = await fx.sqsDestination('later', { config: { queueUrl } });
    expect(await storedLimit(id)).toBeNull();

    await fx.stack.database.pool.query('update destinations set inspected_at = null where id = $1', [id]);
    const pass = await fx.stack.workers!.inspector.runOnce();
    expect(pass.inspected).toBeGreaterThanOrEqual(1);
    expect(await storedLimit(id)).toBe(2048);

    // Over the queue's limit, under SQS's: refused by Sluice, never sent, dead-lettered as too large.
    await post({ payload: { blob: 'x'.repeat(3000) } });
    const dead = await waitFor(async () => {
      const { rows } = await fx.stack.database.pool.query(
        'select reason, last_error from dlq_entries where destination_id = $1',
        [id],
      );
      return rows[0];
    });
    expect(dead).toMatchObject({
      reason: 'payload_too_large',
      last_error: expect.objectContaining({ code: 'payload_too_large' }),
    });
    expect(dead.last_error.message).toContain('accepts at most 2048 bytes');
    expect(await receiveAll(fx.aws.sqs, queueUrl)).toEqual([]);
  });
});

describe('the inspection pass', () => {
  it('takes a bounded batch, never-inspected destinations first, then those inspected longest ago', async () => {
    const inspections = createDestinationInspections(fx.stack.database.executor);
    const schedule = { refreshAfterMs: 60 * 60_000, retryAfterMs: 5 * 60_000 };
    await fx.stack.database.pool.query(
      'update destinations set inspected_at = now(), max_message_bytes = coalesce(max_message_bytes, 1024)',
    );
    const [stale, fresh, never] = await Promise.all(
      [0, 1, 2].map(async (i) => (await fx.sqsDestination(`due-${i}`)).id),
    );
    await fx.stack.database.pool.query(
      "update destinations set inspected_at = now() - interval '2 hours', max_message_bytes = 1024 where id = $1",
      [stale],
    );
    await fx.stack.database.pool.query(
      'update destinations set inspected_at = now(), max_message_bytes = 1024 where id = $1',
      [fresh],
    );
    await fx.stack.database.pool.query('update destinations set inspected_at = null where id = $1', [never]);

    expect((await inspections.listDue(1, schedule)).map((row) => row.id)).toEqual([never]);
    expect((await inspections.listDue(10, schedule)).map((row) => row.id)).toEqual([never, stale]);
    // Not known yet (a role that does not trust Sluice): tried again after the shorter delay.
    await fx.stack.database.pool.query(
      "update destinations set inspected_at = now() - interval '10 minutes', max_message_bytes = null where id = $1",
      [fresh],
    );
    expect((await inspections.listDue(10, schedule)).map((row) => row.id)).toEqual([never, stale, fresh]);
  });
});
