import type { CallResult, PlannedCall } from '@sluice/destinations/bound-destination';
import type { DeliveryFailure, SendContext } from '@sluice/destinations/types';

/**
 * How a drain sends one round's calls: `concurrency` at a time. Once a call fails as a whole
 * (denied, throttled, unreachable), the calls not started yet share its failure without being
 * sent: the same would happen to them. A call `shouldStart` refuses (the lease is nearly spent)
 * is left unsent for the caller to hand back. Every started call settles before this resolves.
 */

export interface SentCall {
  call: PlannedCall;
  result: CallResult;
  startedAt: Date;
  durationMs: number;
}

export interface LaneResult {
  sent: SentCall[];
  unsent: PlannedCall[];
}

export async function sendInLanes(
  calls: PlannedCall[],
  ctx: SendContext,
  options: { concurrency: number; shouldStart: () => boolean },
): Promise<LaneResult> {
  const sent: SentCall[] = [];
  const unsent: PlannedCall[] = [];
  let next = 0;
  let stop: DeliveryFailure | null = null;

  async function lane(): Promise<void> {
    while (next < calls.length) {
      const call = calls[next++];
      if (!call) return;
      if (stop) {
        const failure = stop;
        const outcomes = call.messages.map((m) => ({ deliveryId: m.deliveryId, ok: false as const, failure }));
        sent.push({ call, result: { outcomes, wholeCallFailure: failure }, startedAt: new Date(), durationMs: 0 });
        continue;
      }
      if (!options.shouldStart()) {
        unsent.push(call);
        continue;
      }
      const startedAt = new Date();
      const started = performance.now();
      const result = await call.send(ctx);
      sent.push({ call, result, startedAt, durationMs: performance.now() - started });
      stop ??= result.wholeCallFailure;
    }
  }

  const lanes = await Promise.allSettled(Array.from({ length: Math.min(options.concurrency, calls.length) }, lane));
  for (const settled of lanes) if (settled.status === 'rejected') throw settled.reason;
  return { sent, unsent };
}
