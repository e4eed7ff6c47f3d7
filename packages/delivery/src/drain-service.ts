import type { ClaimedDelivery, DeliveryClaims } from '@sluice/db/repositories/delivery-claims';
import type { DeliveryOutcomes, RecordedOutcome } from '@sluice/db/repositories/delivery-outcomes';
import type { DestinationsRepository } from '@sluice/db/repositories/destinations-repository';
import type { DestinationRow } from '@sluice/db/schema';
import type { DeliveryFailure, DeliveryOutcome, OutgoingMessage } from '@sluice/destinations/types';
import type { Logger } from '@sluice/logger/logger';
import { toDeliverableEvent } from './deliverable-event.ts';
import type { DestinationRuntime, DestinationRuntimes } from './destination-runtime.ts';
import { nextAttemptAt } from './retry-policy.ts';

export interface DrainOptions {
  /** How long a claim holds deliveries before another worker may take them (a dead worker's lease). */
  leaseMs: number;
  /** Deliveries claimed per round. */
  claimLimit: number;
  /** Batch calls of one destination in flight at once. */
  sendConcurrency: number;
  /** A drain hands the destination back to the queue after this long, so others get a turn. */
  timeBudgetMs: number;
}

export const defaultDrainOptions: DrainOptions = {
  leaseMs: 60_000,
  claimLimit: 200,
  sendConcurrency: 8,
  timeBudgetMs: 5_000,
};

// How long an unusable destination's deliveries wait before the drain looks at it again.
const UNUSABLE_RECHECK_MS = 60_000;

export interface DrainMetrics {
  observeBatch(type: string, seconds: number): void;
  countOutcome(type: string, outcome: RecordedOutcome): void;
}

export interface DrainResult {
  sent: number;
  /** True when due work remains that this drain left for the next one. */
  more: boolean;
}

const THROTTLE_CODE = /thrott|ThroughputExceeded|SlowDown|TooManyRequests|RequestLimitExceeded/i;

/** Sends one destination's due deliveries, round after round, until none is due or the time is up. */
export function createDrainService(deps: {
  destinations: Pick<DestinationsRepository, 'getIncludingDeleted'>;
  claims: DeliveryClaims;
  outcomes: DeliveryOutcomes;
  runtimes: DestinationRuntimes;
  metrics: DrainMetrics;
  logger: Logger;
  options?: Partial<DrainOptions>;
}) {
  const options = { ...defaultDrainOptions, ...deps.options };

  const idsOf = (claimed: ClaimedDelivery) => ({
    deliveryId: claimed.id,
    claimId: claimed.claimId,
    attemptNo: claimed.attempts + 1,
  });

  function decide(claimed: ClaimedDelivery, outcome: DeliveryOutcome, row: DestinationRow): RecordedOutcome {
    const ids = idsOf(claimed);
    if (outcome.ok) return { kind: 'delivered', ...ids, providerMessageId: outcome.providerMessageId };
    return failed(claimed, outcome.failure, row);
  }

  function failed(claimed: ClaimedDelivery, failure: DeliveryFailure, row: DestinationRow): RecordedOutcome {
    const ids = idsOf(claimed);
    const error = { code: failure.code, message: failure.message, at: new Date().toISOString() };
    if (failure.code === 'payload_too_large') return { kind: 'dead', ...ids, error, reason: 'payload_too_large' };
    if (failure.kind === 'permanent') return { kind: 'dead', ...ids, error, reason: 'permanent_error' };
    // Retry limits count from the last replay: a replayed delivery gets a fresh round.
    const next = nextAttemptAt(ids.attemptNo - claimed.retryBase, {
      maxAttempts: row.retryMaxAttempts,
      expiresAt: claimed.expiresAt,
    });
    if (!next) return { kind: 'dead', ...ids, error, reason: 'retries_exhausted' };
    return { kind: 'retry', ...ids, error, nextAttemptAt: next };
  }

  /** Sends one chunk (at most one API call's worth) and records every entry's own outcome. */
  async function sendChunk(
    row: DestinationRow,
    runtime: DestinationRuntime,
    chunk: ClaimedDelivery[],
    maxBytes: number,
  ) {
    const { destination } = runtime;
    const messages: OutgoingMessage[] = chunk.map((c) => ({ deliveryId: c.id, event: toDeliverableEvent(c.event) }));
    const startedAt = new Date();
    const started = performance.now();
    const results = await destination.sendBatch(runtime.send, messages, maxBytes);
    const durationMs = performance.now() - started;
    deps.metrics.observeBatch(row.type, durationMs / 1000);
    const byId = new Map(results.map((r) => [r.deliveryId, r]));
    const recorded = chunk.map((claimed) => {
      const outcome = byId.get(claimed.id);
      // An adapter must answer for every message; if it did not, retry rather than guess.
      return outcome
        ? decide(claimed, outcome, row)
        : failed(claimed, { kind: 'transient', code: 'no_outcome', message: 'the adapter reported no outcome' }, row);
    });
    if (recorded.some((r) => r.kind !== 'delivered' && r.error.code.startsWith('ExpiredToken')))
      runtime.send.credentials.invalidate();
    const kept = await deps.outcomes.record(recorded, { startedAt, durationMs });
    for (const outcome of recorded) if (kept.has(outcome.deliveryId)) deps.metrics.countOutcome(row.type, outcome);
    return recorded;
  }

  /**
   * A destination whose stored config or secret cannot be used (a key missing from the ring,
   * a config an upgrade no longer accepts) holds its deliveries: they are handed back for a
   * minute at a time with the reason as their last error, attempts not counted, so an operator's
   * mistake fixed within the retry window loses nothing and keeps FIFO turns. Deliveries past
   * their retry window go to the dead-letter queue as retries_exhausted.
   */
  async function holdUnusable(row: DestinationRow, error: unknown): Promise<boolean> {
    const detail = error instanceof Error ? error.message : String(error);
    deps.logger.error({ destinationId: row.id, err: error }, 'destination unusable: holding its deliveries');
    const lastError = {
      code: 'destination_unusable',
      message: `The destination's stored configuration or credentials cannot be used (${detail}); fix it with PATCH: its deliveries wait until then.`,
      at: new Date().toISOString(),
    };
    const claimed = await deps.claims.claimDue(row.id, options.claimLimit, options.leaseMs);
    const now = Date.now();
    await deps.claims.release(
      claimed.filter((c) => c.expiresAt.getTime() > now),
      new Date(now + UNUSABLE_RECHECK_MS),
      lastError,
    );
    const expired: RecordedOutcome[] = claimed
      .filter((c) => c.expiresAt.getTime() <= now)
      .map((c) => ({ kind: 'dead', ...idsOf(c), error: lastError, reason: 'retries_exhausted' }));
    const kept = await deps.outcomes.record(expired, { startedAt: new Date(), durationMs: 0 });
    for (const outcome of expired) if (kept.has(outcome.deliveryId)) deps.metrics.countOutcome(row.type, outcome);
    return claimed.length === options.claimLimit;
  }

  async function claim(row: DestinationRow, runtime: DestinationRuntime) {
    return runtime.destination.isFifo
      ? deps.claims.claimGroupHeads(row, options.claimLimit, options.leaseMs)
      : deps.claims.claimDue(row.id, options.claimLimit, options.leaseMs);
  }

  return {
    async drain(
      tenantId: string,
      destinationId: string,
      shouldStop: () => boolean = () => false,
    ): Promise<DrainResult> {
      const row = await deps.destinations.getIncludingDeleted(tenantId, destinationId);
      // Paused, disabled and deleted destinations keep their deliveries where they are.
      if (!row || row.deletedAt || !row.enabled || row.pausedAt) return { sent: 0, more: false };
      let sent = 0;
      let runtime: DestinationRuntime;
      try {
        runtime = deps.runtimes.resolve(row);
      } catch (error) {
        return { sent, more: await holdUnusable(row, error) };
      }
      const maxBytes = Math.min(
        row.maxMessageBytes ?? Number.POSITIVE_INFINITY,
        runtime.destination.limits.maxMessageBytes,
      );
      const chunkSize = runtime.destination.limits.maxEntries;
      const deadline = Date.now() + options.timeBudgetMs;

      while (!shouldStop()) {
        if (Date.now() > deadline) return { sent, more: true };
        const claimed = await claim(row, runtime);
        if (claimed.length === 0) return { sent, more: false };
        // A chunk not started before most of the lease is gone is left for the next claim:
        // sent now, it could still be in flight when another worker takes the deliveries over.
        const sendBy = Date.now() + options.leaseMs * 0.75;
        const chunks: ClaimedDelivery[][] = [];
        for (let i = 0; i < claimed.length; i += chunkSize) chunks.push(claimed.slice(i, i + chunkSize));
        let throttled = false;
        const unsent: ClaimedDelivery[] = [];
        await runLimited(chunks, options.sendConcurrency, async (chunk) => {
          if (Date.now() > sendBy) {
            unsent.push(...chunk);
            return;
          }
          const recorded = await sendChunk(row, runtime, chunk, maxBytes);
          sent += recorded.filter((r) => r.kind === 'delivered').length;
          if (recorded.some((r) => r.kind === 'retry' && THROTTLE_CODE.test(r.error.code))) throttled = true;
        });
        // Handed back at once rather than held until the lease ends (which would stall FIFO groups).
        await deps.claims.release(unsent, new Date());
        // A throttled destination backs off as a whole; its retries come due on their own.
        if (throttled) return { sent, more: false };
      }
      return { sent, more: true };
    },
  };
}

export type DrainService = ReturnType<typeof createDrainService>;

/**
 * Runs `run` over the items, `limit` at a time. Every lane finishes before this settles, even
 * when one fails: a drain that returns must have no send still in flight.
 */
async function runLimited<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && !failure) {
      try {
        await run(items[next++]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  });
  await Promise.all(lanes);
  if (failure) throw failure.error;
}
