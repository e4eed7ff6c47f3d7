import { collectMessages, receiveAll } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { sampleEvent, waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The per-tenant fan-out takes 500 events in one transaction; one event that breaks it must
 * fail only itself. The poison is real: a trigger that refuses that event's delivery, as a
 * constraint or a bug would.
 */
let fx: DeliveryFixture;
beforeAll(async () => {
  fx = await startDeliveryFixture({ workers: false });
});
afterAll(async () => {
  await fx.stack.database.pool.query('drop trigger if exists poison_one on deliveries');
  await fx.close();
});

const sql = async (text: string, values: unknown[] = []) => (await fx.stack.database.pool.query(text, values)).rows;

describe('fan-out of a tenant', () => {
  it('fans out 499 of 500 events when one is poisoned; the poisoned one waits in the outbox and goes once fixed', async () => {
    const { queueUrl, customerExternalId } = await fx.sqsDestination('isolation');
    const events = Array.from({ length: 500 }, (_, i) =>
      sampleEvent({ customerExternalId, idempotencyKey: `iso-${i}` }),
    );
    const accepted = await fx.stack.app.inject({
      method: 'POST',
      url: '/v1/events/batch',
      headers: fx.auth,
      payload: { events },
    });
    const ids: string[] = accepted.json().results.map((r: { id: string }) => r.id);
    const poisoned = ids[250]!;
    await sql(`create or replace function poison_one() returns trigger language plpgsql as $$
               begin
                 if new.event_id = '${poisoned}' then raise exception 'poisoned event'; end if;
                 return new;
               end $$`);
    await sql('create trigger poison_one before insert on deliveries for each row execute function poison_one()');

    fx.stack.startWorkers();
    const arrived = await collectMessages(fx.aws.sqs, queueUrl, 499, { timeoutMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    arrived.push(...(await receiveAll(fx.aws.sqs, queueUrl)));
    const arrivedIds = new Set(arrived.map((m) => JSON.parse(m.Body!).id));
    expect(arrivedIds.size).toBe(499);
    expect(arrivedIds.has(poisoned)).toBe(false);
    const [waiting] = await sql('select attempts, last_error, not_before from event_outbox where event_id = $1', [
      poisoned,
    ]);
    expect(waiting.attempts).toBeGreaterThanOrEqual(1);
    expect(waiting.last_error).toContain('poisoned event');
    expect(await sql('select id from deliveries where event_id = $1', [poisoned])).toEqual([]);

    // Fixed (and its wait over): the sweeper finds it in the outbox, and it goes, once.
    await sql('drop trigger poison_one on deliveries');
    await sql('update event_outbox set not_before = now() where event_id = $1', [poisoned]);
    await fx.stack.workers!.sweeper.sweepOnce();
    const [late] = await collectMessages(fx.aws.sqs, queueUrl, 1, { timeoutMs: 15_000 });
    expect(JSON.parse(late!.Body!).id).toBe(poisoned);
    await waitFor(async () => (await sql('select 1 from event_outbox where event_id = $1', [poisoned])).length === 0);
  });
});
