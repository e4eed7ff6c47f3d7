import { collectMessages, queueArnOf, receiveAll } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Delivery as a confused-deputy-safe deputy: the session Sluice sends with is narrowed to the
 * destination and tagged with it, and a destination whose role accepts any ExternalId gets
 * nothing sent until its trust policy is fixed (held, no attempt counted, nothing lost).
 */

let fx: DeliveryFixture;
beforeAll(async () => {
  fx = await startDeliveryFixture();
});
afterAll(() => fx.close());

interface Delivery {
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: { code: string; message: string } | null;
}

const call = (method: 'GET' | 'POST', url: string) => fx.stack.app.inject({ method, url, headers: fx.auth });
const deliveriesOf = async (destinationId: string): Promise<Delivery[]> =>
  (await call('GET', `/v1/deliveries?destinationId=${destinationId}`)).json().data;
const roleOf = async (destinationId: string): Promise<{ roleArn: string; externalId: string }> =>
  (await call('GET', `/v1/destinations/${destinationId}`)).json().auth;
/** As the worker's inspection pass would when the destination's turn comes. */
const inspectNow = async (destinationId: string) => {
  await fx.stack.database.pool.query('update destinations set inspected_at = null where id = $1', [destinationId]);
  await fx.stack.workers!.inspector.runOnce();
};
/** A held delivery is looked at again a minute later: as if that minute had passed. */
const aMinuteLater = (destinationId: string) =>
  fx.stack.database.pool.query(
    'with q as (update delivery_queue set due_at = now() where destination_id = $1) update fifo_groups set due_at = now() where destination_id = $1',
    [destinationId],
  );

describe('the session a delivery is sent with', () => {
  it('allows only the destination’s actions on its queue and is tagged with the tenant and destination', async () => {
    const { id, queueUrl, post } = await fx.sqsDestination('scoped-session');
    const { roleArn, externalId } = await roleOf(id);
    await post();
    await collectMessages(fx.aws.sqs, queueUrl, 1);
    const [session] = fx.emulators.fakeSts
      .assumeRoleCalls(roleArn)
      .filter((assumed) => assumed.externalId === externalId && assumed.outcome === 'issued');
    expect(session?.tags).toEqual([
      { key: 'sluice:tenant', value: fx.tenantId },
      { key: 'sluice:destination', value: id },
    ]);
    const policy = JSON.parse(session?.policy ?? '{}');
    expect(policy.Statement[0]).toEqual({
      Sid: 'Destination',
      Effect: 'Allow',
      Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes'],
      Resource: await queueArnOf(fx.aws.sqs, queueUrl),
    });
  });
});

describe('a destination whose role accepts any ExternalId', () => {
  it('has its deliveries held until the trust policy is fixed and tested, then sends them', async () => {
    const { id, queueUrl, post } = await fx.sqsDestination('open-role');
    const { roleArn, externalId } = await roleOf(id);
    // The customer's trust policy trusts Sluice without the sts:ExternalId condition.
    fx.emulators.fakeSts.allowRoleWithoutExternalId(roleArn);
    await inspectNow(id);

    const eventId = await post();
    const [held] = await waitFor(async () => {
      const found = await deliveriesOf(id);
      return found[0]?.lastError?.code === 'trust_policy_without_external_id' ? found : undefined;
    });
    expect(held).toMatchObject({ status: 'pending', attempts: 0 });
    expect(held?.lastError?.message).toContain(`StringEquals sts:ExternalId = ${externalId}`);
    expect(await receiveAll(fx.aws.sqs, queueUrl)).toEqual([]);
    // Nothing was sent as the role: no session for the destination's ExternalId since the check.
    const sessions = () => fx.emulators.fakeSts.assumeRoleCalls(roleArn).filter((c) => c.externalId === externalId);
    const sessionsWhileHeld = sessions().length;
    // A minute later the drain looks again, and holds them again.
    await aMinuteLater(id);
    const [again] = await waitFor(async () => {
      const found = await deliveriesOf(id);
      return Date.parse(found[0]?.nextAttemptAt ?? '') > Date.now() + 30_000 ? found : undefined;
    });
    expect(again).toMatchObject({ status: 'pending', attempts: 0 });
    expect(sessions()).toHaveLength(sessionsWhileHeld);
    expect(await receiveAll(fx.aws.sqs, queueUrl)).toEqual([]);

    // The customer adds the condition and tests the destination: the check passes, deliveries flow.
    fx.emulators.fakeSts.allowRole(roleArn, externalId);
    const tested = (await call('POST', `/v1/destinations/${id}/test`)).json();
    expect(tested.checks.find((check: { name: string }) => check.name === 'trust_policy')).toMatchObject({ ok: true });
    await receiveAll(fx.aws.sqs, queueUrl); // the test's own sluice.test message
    await aMinuteLater(id);
    const [message] = await collectMessages(fx.aws.sqs, queueUrl, 1);
    expect(JSON.parse(message!.Body!).id).toBe(eventId);
    expect(await deliveriesOf(id)).toEqual([expect.objectContaining({ status: 'delivered', attempts: 1 })]);
  });

  it('is found and released by the worker’s inspection pass too', async () => {
    const { id, queueUrl, post } = await fx.sqsDestination('opened-later');
    const { roleArn, externalId } = await roleOf(id);
    fx.emulators.fakeSts.allowRoleWithoutExternalId(roleArn);
    await inspectNow(id);
    await post();
    await waitFor(async () => (await deliveriesOf(id))[0]?.lastError?.code === 'trust_policy_without_external_id');

    fx.emulators.fakeSts.allowRole(roleArn, externalId);
    await inspectNow(id);
    await aMinuteLater(id);
    await collectMessages(fx.aws.sqs, queueUrl, 1);
    expect((await call('GET', `/v1/destinations/${id}`)).json().auth.trustPolicyProblem).toBeNull();
  });
});
