import { collectMessages } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let fx: DeliveryFixture;
beforeAll(async () => {
  fx = await startDeliveryFixture({ faults: true });
});
afterAll(() => fx.close());

const healthOf = async (destinationId: string) =>
  (await fx.stack.app.inject({ method: 'GET', url: `/v1/destinations/${destinationId}`, headers: fx.auth })).json()
    .health as { state: string; since: string; detail: string | null };

describe('destination health, as the drains record it', () => {
  it('goes throttled while AWS throttles, and healthy once messages go through', async () => {
    const { id, queueUrl, post } = await fx.sqsDestination('health-throttled');
    fx.proxy!.inject({ action: 'SendMessageBatch', fault: { kind: 'error', status: 400, code: 'RequestThrottled' } });
    await post();
    const throttled = await waitFor(async () => {
      const health = await healthOf(id);
      return health.state === 'throttled' ? health : undefined;
    });
    expect(throttled.detail).toEqual(expect.any(String));

    fx.proxy!.clear();
    await collectMessages(fx.aws.sqs, queueUrl, 1);
    const healthy = await waitFor(async () => {
      const health = await healthOf(id);
      return health.state === 'healthy' ? health : undefined;
    });
    expect(healthy.detail).toBeNull();
    expect(Date.parse(healthy.since)).toBeGreaterThanOrEqual(Date.parse(throttled.since));
    // Written on change only: one row, whose state is the last one seen.
    const { rows } = await fx.stack.database.pool.query(
      'select state from destination_health where destination_id = $1',
      [id],
    );
    expect(rows).toEqual([{ state: 'healthy' }]);
  });

  it('goes failing when its role is denied, with the reason', async () => {
    const broken = await fx.sqsDestination('health-denied');
    fx.emulators.fakeSts.revokeRole(broken.roleArn);
    await broken.post();
    const failing = await waitFor(async () => {
      const health = await healthOf(broken.id);
      return health.state === 'failing' ? health : undefined;
    });
    expect(failing.detail).toContain('AssumeRole');
  });
});
