import { createRegroup } from '@sluice/db/repositories/regroup';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The regroup after a PATCH reads the events of the deliveries it rekeys: a page is bounded by
 * bytes as well as rows, so a backlog of large events is read a few at a time (issue #16 item 3).
 */
let fx: DeliveryFixture;
beforeAll(async () => {
  fx = await startDeliveryFixture({ workers: false });
});
afterAll(() => fx.close());

const EVENT_BYTES = 300 * 1024;

describe('regroup pages', () => {
  it('reads at most about the byte bound of events per page, at least one, and every delivery once', async () => {
    const destination = await fx.sqsDestination('regroup-pages.fifo');
    // Paused: the deliveries stay in line, as a PATCH finds a backlog.
    const paused = await fx.stack.app.inject({
      method: 'POST',
      url: `/v1/destinations/${destination.id}/pause`,
      headers: fx.auth,
    });
    expect(paused.statusCode).toBe(200);
    for (let n = 0; n < 5; n++) {
      await destination.post({ idempotencyKey: `large-${n}`, payload: { n, pad: 'x'.repeat(EVENT_BYTES) } });
    }
    fx.stack.startWorkers();
    const queued = async () =>
      (
        await fx.stack.database.pool.query('select count(*)::int as n from delivery_queue where destination_id = $1', [
          destination.id,
        ])
      ).rows[0].n as number;
    for (let i = 0; i < 100 && (await queued()) < 5; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await queued()).toBe(5);

    const regroup = createRegroup(fx.stack.database.executor);
    const pages: number[] = [];
    let after: string | null = '00000000-0000-0000-0000-000000000000';
    while (after !== null) {
      let rows = 0;
      after = await regroup.rekeyPage(
        destination.id,
        () => {
          rows += 1;
          return 'regrouped';
        },
        after,
        // Room for two events and part of a third: a page takes three (the last one started below the bound).
        { rows: 500, bytes: 2.5 * EVENT_BYTES },
      );
      if (after !== null) pages.push(rows);
    }
    expect(pages).toEqual([3, 2]);
    const keys = await fx.stack.database.pool.query(
      'select ordering_key, count(*)::int as n from delivery_queue where destination_id = $1 group by ordering_key',
      [destination.id],
    );
    expect(keys.rows).toEqual([{ ordering_key: 'regrouped', n: 5 }]);
  });
});
