import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DestinationsHarness,
  destinationInput,
  errorPaths,
  type Json,
  startDestinationsHarness,
} from './destinations-support.ts';

/** rateLimit on create and PATCH: stored, answered, removable, and refused with a 400 naming the field when bad. */

let h: DestinationsHarness;
beforeAll(async () => {
  h = await startDestinationsHarness();
});
afterAll(() => h.close());

const bad: [name: string, rateLimit: unknown, path: string, message: RegExp][] = [
  ['perSecond 0', { perSecond: 0 }, 'rateLimit.perSecond', /at least 1/],
  ['perSecond negative', { perSecond: -5 }, 'rateLimit.perSecond', /at least 1/],
  ['perSecond a fraction', { perSecond: 1.5 }, 'rateLimit.perSecond', /whole number/],
  ['perSecond a string', { perSecond: '20' }, 'rateLimit.perSecond', /number/],
  ['perSecond over the maximum', { perSecond: 100_001 }, 'rateLimit.perSecond', /100[ ,]?000/],
  ['perSecond missing', {}, 'rateLimit.perSecond', /required/],
  ['an unknown field', { perSecond: 5, burst: 10 }, 'rateLimit.burst', /not a known field/],
  ['a number instead of an object', 20, 'rateLimit', /object/],
];

describe('rateLimit', () => {
  it.each(bad)('refuses %s with 400 on create and on PATCH', async (_, rateLimit, path, message) => {
    const created = await h.call('POST', '/v1/destinations', destinationInput({ rateLimit }));
    expect(created.statusCode, created.body).toBe(400);
    expect(created.json()).toMatchObject({ status: 400, code: 'validation_failed' });
    const error = created.json().errors.find((e: { path: string }) => e.path === path);
    expect(error, created.body).toBeDefined();
    expect(error.message).toMatch(message);

    const existing = await h.create({ rateLimit: { perSecond: 7 } });
    const patched = await h.call('PATCH', `/v1/destinations/${existing.id}`, { rateLimit } as Json);
    expect(patched.statusCode, patched.body).toBe(400);
    expect(errorPaths(patched)).toContain(path);
    // Nothing changed.
    expect((await h.call('GET', `/v1/destinations/${existing.id}`)).json()).toEqual(existing);
  });

  it('is stored, answered, replaced by PATCH and removed by null', async () => {
    const plain = await h.create();
    expect(plain.rateLimit).toBeNull();

    const limited = await h.create({ rateLimit: { perSecond: 20 } });
    expect(limited.rateLimit).toEqual({ perSecond: 20 });
    expect((await h.call('GET', `/v1/destinations/${limited.id}`)).json().rateLimit).toEqual({ perSecond: 20 });

    const raised = await h.call('PATCH', `/v1/destinations/${limited.id}`, { rateLimit: { perSecond: 100_000 } });
    expect(raised.statusCode, raised.body).toBe(200);
    expect(raised.json().rateLimit).toEqual({ perSecond: 100_000 });
    // A PATCH of something else keeps it.
    const renamed = await h.call('PATCH', `/v1/destinations/${limited.id}`, { name: 'renamed' });
    expect(renamed.json().rateLimit).toEqual({ perSecond: 100_000 });

    const removed = await h.call('PATCH', `/v1/destinations/${limited.id}`, { rateLimit: null });
    expect(removed.statusCode, removed.body).toBe(200);
    expect(removed.json().rateLimit).toBeNull();
    const listed = await h.call('GET', `/v1/destinations?customerExternalId=${limited.customerExternalId}`);
    const row = listed.json().data.find((d: { id: string }) => d.id === limited.id);
    expect(row.rateLimit).toBeNull();
    const { rows } = await h.stack.database.pool.query('select rate_limit_per_second from destinations where id = $1', [
      limited.id,
    ]);
    expect(rows).toEqual([{ rate_limit_per_second: null }]);
  });
});
