import { createDeliveryClaims } from '@sluice/db/repositories/delivery-claims';
import { createDeliveryOutcomes } from '@sluice/db/repositories/delivery-outcomes';
import { sampleEvent, startTestStack, type TestStack } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let stack: TestStack;
let destinationId: string;
let tenantId: string;

beforeAll(async () => {
  stack = await startTestStack();
  tenantId = (await stack.createTenant()).id;
  const { auth } = await stack.createKey(tenantId, ['admin']);
  const created = await stack.app.inject({
    method: 'POST',
    url: '/v1/destinations',
    headers: auth,
    payload: {
      name: 'claims',
      customerExternalId: 'claims',
      type: 'sqs',
      config: { queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/claims' },
      auth: { mode: 'assume_role', roleArn: 'arn:aws:iam::123456789012:role/claims' },
    },
  });
  destinationId = created.json().id;
});
afterAll(() => stack.close());

/** A pending delivery of a fresh event, inserted directly (no workers run here). */
async function pendingDelivery(): Promise<string> {
  const { auth } = await stack.createKey(tenantId, ['ingest']);
  const event = await stack.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: auth,
    payload: sampleEvent({ customerExternalId: 'claims' }),
  });
  const { rows } = await stack.database.pool.query(
    `insert into deliveries (id, tenant_id, event_id, destination_id, order_seq, expires_at)
     select gen_random_uuid(), tenant_id, id, $2, seq, now() + interval '1 day' from events where id = $1 returning id`,
    [event.json().id, destinationId],
  );
  return rows[0].id;
}

const row = async (id: string) =>
  (await stack.database.pool.query('select status, attempts from deliveries where id = $1', [id])).rows[0];

describe('claims and outcomes', () => {
  it("ignores the late outcome of a claim whose lease ran out, and records the current claim's", async () => {
    const id = await pendingDelivery();
    const claims = createDeliveryClaims(stack.database.db);
    const outcomes = createDeliveryOutcomes(stack.database.db);
    const [first] = (await claims.claimDue(destinationId, 10, 60_000)).filter((c) => c.id === id);
    // The first worker stalls past its lease; a second worker claims the delivery again.
    await stack.database.pool.query("update deliveries set next_attempt_at = now() - interval '1 s' where id = $1", [
      id,
    ]);
    const [second] = (await claims.claimDue(destinationId, 10, 60_000)).filter((c) => c.id === id);
    expect(second!.claimId).not.toBe(first!.claimId);

    const at = new Date().toISOString();
    const late = await outcomes.record([
      {
        kind: 'dead',
        deliveryId: id,
        claimId: first!.claimId,
        attemptNo: 1,
        error: { code: 'X', message: 'x', at },
        reason: 'permanent_error',
        at: new Date(),
        durationMs: 1,
      },
    ]);
    expect(late.size).toBe(0);
    expect(await row(id)).toEqual({ status: 'pending', attempts: 0 });
    const entries = await stack.database.pool.query('select * from dlq_entries where delivery_id = $1', [id]);
    expect(entries.rows).toEqual([]);

    const current = await outcomes.record([
      { kind: 'delivered', deliveryId: id, claimId: second!.claimId, attemptNo: 1, at: new Date(), durationMs: 1 },
    ]);
    expect([...current]).toEqual([id]);
    expect(await row(id)).toEqual({ status: 'delivered', attempts: 1 });
  });
});
