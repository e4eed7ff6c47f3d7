import { sampleEvent, startTestStack, type TestStack, waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let stack: TestStack;
let auth: { authorization: string };

beforeAll(async () => {
  stack = await startTestStack();
  auth = (await stack.createKey((await stack.createTenant()).id, ['ingest'])).auth;
});
afterAll(() => stack.close());

const unfanned = async (ids: string[]) =>
  Number(
    (await stack.database.pool.query('select count(*) from events where id = any($1) and fanned_out_at is null', [ids]))
      .rows[0].count,
  );

describe('sweeper', () => {
  it('re-enqueues accepted events after Redis loses its data (FLUSHALL)', async () => {
    // Accepted while no worker runs: their jobs wait in Redis...
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      ids.push(
        (await stack.app.inject({ method: 'POST', url: '/v1/events', headers: auth, payload: sampleEvent() })).json()
          .id,
      );
    }
    // ...and then Redis forgets them.
    await stack.redis.flushall();
    const workers = stack.startWorkers();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await unfanned(ids)).toBe(20);

    const swept = await workers.sweeper.sweepOnce();
    expect(swept.added).toBeGreaterThanOrEqual(20);
    await waitFor(async () => (await unfanned(ids)) === 0);
  });

  it('leaves events with a live job alone', async () => {
    const id = (
      await stack.app.inject({ method: 'POST', url: '/v1/events', headers: auth, payload: sampleEvent() })
    ).json().id;
    await waitFor(async () => (await unfanned([id])) === 0);
    const swept = await stack.workers!.sweeper.sweepOnce();
    expect(swept).toEqual({ added: 0, retried: 0 });
  });
});
