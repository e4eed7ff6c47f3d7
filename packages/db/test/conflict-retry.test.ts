import { connectDatabase, type DatabaseHandle } from '@sluice/db/client';
import { isLockConflict, retryOnLockConflict } from '@sluice/db/conflict-retry';
import { testDatabaseUrl } from '@sluice/testing/test-env';
import { afterAll, beforeAll, expect, it } from 'vitest';

// Two transactions that lock the same two rows in opposite orders: PostgreSQL aborts one of
// them (40P01). With the retry, the aborted one runs again after the winner commits, and both
// updates land.
let database: DatabaseHandle;
const table = `conflict_retry_${process.pid}`;

beforeAll(async () => {
  database = connectDatabase(testDatabaseUrl, { max: 4 });
  await database.executor.query(`create table ${table} (id int primary key, n int not null)`);
  await database.executor.query(`insert into ${table} values (1, 0), (2, 0)`);
});

afterAll(async () => {
  await database.executor.query(`drop table if exists ${table}`);
  await database.close();
});

/** Locks `first`, waits until the other transaction holds its first row, then locks `second`. */
function crossing(first: number, second: number, barrier: { arrived: number }) {
  return database.transaction(async (tx) => {
    await tx.query(`update ${table} set n = n + 1 where id = $1`, [first]);
    barrier.arrived += 1;
    while (barrier.arrived < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    await tx.query(`update ${table} set n = n + 1 where id = $1`, [second]);
  });
}

it('without a retry, one of two crossing transactions fails with a deadlock', async () => {
  const barrier = { arrived: 0 };
  const results = await Promise.allSettled([crossing(1, 2, barrier), crossing(2, 1, barrier)]);
  const failed = results.filter((r) => r.status === 'rejected');
  expect(failed).toHaveLength(1);
  expect(isLockConflict((failed[0] as PromiseRejectedResult).reason)).toBe(true);
});

it('with retryOnLockConflict, both land', async () => {
  await database.executor.query(`update ${table} set n = 0`);
  const barrier = { arrived: 0 };
  // The retry starts over with a barrier already passed, so it only waits for the winner's locks.
  await Promise.all([
    retryOnLockConflict(() => crossing(1, 2, barrier)),
    retryOnLockConflict(() => crossing(2, 1, barrier)),
  ]);
  const rows = await database.executor.query<{ n: number }>(`select n from ${table} order by id`);
  expect(rows.rows.map((r) => r.n)).toEqual([2, 2]);
});

it('does not retry other errors', async () => {
  let calls = 0;
  await expect(
    retryOnLockConflict(async () => {
      calls += 1;
      await database.executor.query('select 1/0');
    }),
  ).rejects.toThrow(/division by zero/);
  expect(calls).toBe(1);
});
