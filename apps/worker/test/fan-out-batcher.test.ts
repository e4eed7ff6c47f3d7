import type { FanOutTarget } from '@sluice/delivery/fan-out-service';
import { describe, expect, it } from 'vitest';
import { createFanOutBatcher } from '../src/fan-out-batcher.ts';

/** The batcher with fakes for the fan-out and the producer, recording every call. */
function harness(options: { failWhen?: (targets: FanOutTarget[]) => boolean } = {}) {
  const fanOutCalls: FanOutTarget[][] = [];
  const drainCalls: { tenantId: string; destinationId: string }[][] = [];
  const batcher = createFanOutBatcher(
    {
      fanOut: {
        async fanOutMany(targets) {
          fanOutCalls.push(targets);
          if (options.failWhen?.(targets)) throw new Error('transaction failed');
          // Every event goes to destination "d-<tenant>" of its tenant.
          return new Map(targets.map((t) => [t.eventId, [`d-${t.tenantId}`]]));
        },
      },
      jobs: {
        async enqueueDrains(payloads) {
          drainCalls.push(payloads);
        },
      },
    },
    { maxBatch: 3, maxInFlight: 1 },
  );
  return { batcher, fanOutCalls, drainCalls };
}

const target = (tenantId: string, eventId: string): FanOutTarget => ({ tenantId, eventId });

describe('fan-out batcher', () => {
  it('fans out jobs of the same turn together, at most maxBatch at a time, and wakes each destination once', async () => {
    const { batcher, fanOutCalls, drainCalls } = harness();
    await Promise.all(['e1', 'e2', 'e3', 'e4'].map((id) => batcher.fanOut(target('t1', id))));
    expect(fanOutCalls.map((call) => call.map((t) => t.eventId))).toEqual([['e1', 'e2', 'e3'], ['e4']]);
    expect(drainCalls).toEqual([
      [{ tenantId: 't1', destinationId: 'd-t1' }],
      [{ tenantId: 't1', destinationId: 'd-t1' }],
    ]);
  });

  it('fails only the job whose event breaks the transaction; the others are fanned out alone', async () => {
    const { batcher, fanOutCalls } = harness({ failWhen: (targets) => targets.some((t) => t.eventId === 'bad') });
    const results = await Promise.allSettled(['e1', 'bad', 'e2'].map((id) => batcher.fanOut(target('t1', id))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    // The batch of three, then each on its own.
    expect(fanOutCalls.map((call) => call.length)).toEqual([3, 1, 1, 1]);
  });

  it('keeps tenants apart: each drain names the tenant of the event that needed it', async () => {
    const { batcher, drainCalls } = harness();
    await Promise.all([batcher.fanOut(target('t1', 'e1')), batcher.fanOut(target('t2', 'e2'))]);
    expect(drainCalls).toEqual([
      [
        { tenantId: 't1', destinationId: 'd-t1' },
        { tenantId: 't2', destinationId: 'd-t2' },
      ],
    ]);
  });
});
