import { receiveAll } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let fx: DeliveryFixture;
beforeAll(async () => {
  fx = await startDeliveryFixture({ faults: true });
});
afterAll(() => fx.close());

const metricValue = (text: string, line: RegExp) =>
  Number(
    text
      .split('\n')
      .find((l) => line.test(l))
      ?.split(' ')
      .at(-1) ?? Number.NaN,
  );

describe('Prometheus metrics', () => {
  it('count events, deliveries by outcome and reason, send latency, backlog and DLQ size per destination type', async () => {
    const ok = await fx.sqsDestination('metrics-ok');
    const denied = await fx.kinesisDestination('metrics-denied');
    await ok.post();
    await ok.post();
    await receiveAll(fx.aws.sqs, ok.queueUrl);
    // A Kinesis destination whose stream was deleted answers ResourceNotFound: a permanent error.
    await fx.stack.database.pool.query(
      `update destinations set config = jsonb_set(config, '{streamArn}', to_jsonb(replace(config->>'streamArn', 'stream/', 'stream/missing-'))) where id = $1`,
      [denied.id],
    );
    await fx.stack.database.pool.query('update destinations set updated_at = now() where id = $1', [denied.id]);
    await denied.post();
    await waitFor(async () => {
      const rows = await fx.stack.database.pool.query('select count(*) from dlq_entries where destination_id = $1', [
        denied.id,
      ]);
      return Number(rows.rows[0].count) === 1;
    });

    const worker = await fx.stack.workers!.metrics.registry.metrics();
    expect(
      metricValue(worker, /^sluice_deliveries_total\{type="sqs",outcome="delivered",reason=""\}/),
    ).toBeGreaterThanOrEqual(2);
    expect(
      metricValue(worker, /^sluice_deliveries_total\{type="kinesis",outcome="dead",reason="permanent_error"\}/),
    ).toBe(1);
    expect(metricValue(worker, /^sluice_delivery_attempt_duration_seconds_count\{type="sqs"\}/)).toBeGreaterThanOrEqual(
      1,
    );

    const api = (await fx.stack.app.inject('/metrics')).body;
    expect(metricValue(api, /^sluice_events_accepted_total/)).toBeGreaterThanOrEqual(3);
    expect(metricValue(api, /^sluice_dlq_entries\{type="kinesis"\}/)).toBeGreaterThanOrEqual(1);
    expect(api).toMatch(/^sluice_deliveries_pending\{type="sqs"\} \d+/m);
  });
});
