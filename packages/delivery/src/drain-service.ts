import type { ClaimedDelivery, DeliveryClaims } from '@sluice/db/repositories/delivery-claims';
import type { DeliveryOutcomes, RecordedOutcome } from '@sluice/db/repositories/delivery-outcomes';
import type { DestinationsRepository } from '@sluice/db/repositories/destinations-repository';
import type { DestinationRow } from '@sluice/db/schema/destinations';
import {
  type DestinationResolver,
  type ResolvedDestination,
  UnusableDestinationError,
} from '@sluice/destinations/resolver';
import type { DeliveryOutcome } from '@sluice/destinations/types';
import type { Logger } from '@sluice/logger/logger';
import type { SendRateLimiter } from '@sluice/rate-limit/send-rate';
import { inSpan } from '@sluice/telemetry/spans';
import { type HealthTracker, healthOfRound } from './destination-health.ts';
import { decideOutcome, decideUnusable, UNUSABLE_RECHECK_MS } from './outcome-decision.ts';
import { sendInLanes } from './send-lanes.ts';
import { traceSends } from './send-tracing.ts';

export interface DrainOptions {
  /** How long a claim holds deliveries before another worker may take them (a dead worker's lease). */
  leaseMs: number;
  /** Deliveries claimed per round, and about this many event bytes (memory stays bounded). */
  claimLimit: number;
  claimBytes: number;
  /** Provider calls of one destination in flight at once. */
  sendConcurrency: number;
  /** A drain hands the destination back to the queue after this long, so others get a turn. */
  timeBudgetMs: number;
}

/** How long every worker's drains keep asking Redis about a slowdown after the last throttling (its TTL there). */
const SLOWDOWN_REMEMBERED_MS = 600_000;

export const defaultDrainOptions: DrainOptions = {
  leaseMs: 60_000,
  claimLimit: 200,
  claimBytes: 8 * 1024 * 1024,
  sendConcurrency: 8,
  timeBudgetMs: 5_000,
};

export interface DrainMetrics {
  observeBatch(type: string, seconds: number): void;
  countOutcome(type: string, outcome: RecordedOutcome): void;
}

export interface DrainResult {
  sent: number;
  /** True when due work remains that this drain left for the next one. */
  more: boolean;
  /** With `more`: the next drain should not start before this (the destination's send rate has no tokens yet). */
  retryInMs?: number;
}

/** Sends one destination's due deliveries, round after round, until none is due or the time is up. */
export function createDrainService(deps: {
  destinations: Pick<DestinationsRepository, 'getForDrain'>;
  claims: DeliveryClaims;
  outcomes: DeliveryOutcomes;
  resolver: Pick<DestinationResolver, 'resolve'>;
  /** The destination's rateLimit and its slowdown while AWS throttles it, over all workers. */
  sendRate: Pick<SendRateLimiter, 'acquire' | 'throttled'>;
  metrics: DrainMetrics;
  logger: Logger;
  /** Records health transitions (alerts, destination views); see destination-health.ts. */
  health?: Pick<HealthTracker, 'observe' | 'markSlowed'>;
  options?: Partial<DrainOptions>;
}) {
  const options = { ...defaultDrainOptions, ...deps.options };

  const limits = { rows: options.claimLimit, bytes: options.claimBytes, leaseMs: options.leaseMs };

  async function record(row: DestinationRow, outcomes: RecordedOutcome[]): Promise<void> {
    const kept = await deps.outcomes.record(row, outcomes);
    for (const outcome of outcomes) if (kept.has(outcome.deliveryId)) deps.metrics.countOutcome(row.type, outcome);
  }

  const factsOf = (claimed: ClaimedDelivery) => ({
    deliveryId: claimed.id,
    claimId: claimed.claimId,
    attemptNo: claimed.attempts + 1,
    orderingKey: claimed.orderingKey,
    orderSeq: claimed.orderSeq,
    replayed: claimed.retryBase > 0,
    event: {
      id: claimed.event.id,
      eventType: claimed.event.eventType,
      customerExternalId: claimed.event.customerExternalId,
      receivedAt: claimed.event.receivedAt,
    },
  });

  /** See decideUnusable: the deliveries wait, a minute at a time, or die once their window ends. */
  async function holdUnusable(row: DestinationRow, error: UnusableDestinationError): Promise<boolean> {
    deps.logger.error({ destinationId: row.id, err: error }, 'destination unusable: holding its deliveries');
    const now = new Date();
    const lastError = {
      code: error.code,
      message: `The destination cannot be used: ${error.message}. ${error.fix}`,
      at: now.toISOString(),
    };
    const claimed = [...(await deps.claims.claimDue(row, limits)), ...(await deps.claims.claimGroupHeads(row, limits))];
    const dead: RecordedOutcome[] = [];
    const held: ClaimedDelivery[] = [];
    for (const c of claimed) {
      const decision = decideUnusable(c, lastError, now);
      if (decision.kind === 'dead') dead.push({ ...factsOf(c), ...decision, at: now, durationMs: 0 });
      else held.push(c);
    }
    await deps.claims.release(row.id, held, new Date(now.getTime() + UNUSABLE_RECHECK_MS), lastError);
    await record(row, dead);
    await deps.health?.observe(row, { state: 'failing', detail: lastError.message });
    return claimed.length >= options.claimLimit;
  }

  async function sendRound(row: DestinationRow, resolved: ResolvedDestination, claimed: ClaimedDelivery[]) {
    const byId = new Map(claimed.map((c) => [c.id, c]));
    // The transform (if any) runs first: its failures are in plan.rejected with the oversized.
    const plan = resolved.destination.plan(
      await resolved.destination.prepare(claimed.map((c) => ({ deliveryId: c.id, event: c.event }))),
      row.maxMessageBytes,
    );
    // A call not started before most of the lease is gone is left for the next claim: sent now,
    // it could still be in flight when another worker takes the deliveries over.
    const sendBy = Date.now() + options.leaseMs * 0.75;
    // A span per call, and per message in its event's trace (no-op while tracing is off).
    const calls = traceSends(plan.calls, byId, {
      id: row.id,
      type: row.type,
      resourceName: resolved.destination.resourceName,
    });
    const lanes = await sendInLanes(calls, resolved.send, {
      concurrency: options.sendConcurrency,
      shouldStart: () => Date.now() < sendBy,
    });
    const now = new Date();
    const answered: Array<{ outcome: DeliveryOutcome; at: Date; durationMs: number }> = [
      ...plan.rejected.map((outcome) => ({ outcome, at: now, durationMs: 0 })),
      ...lanes.sent.flatMap((s) =>
        s.result.outcomes.map((outcome) => ({ outcome, at: s.startedAt, durationMs: s.durationMs })),
      ),
    ];
    for (const s of lanes.sent) if (s.durationMs > 0) deps.metrics.observeBatch(row.type, s.durationMs / 1000);
    const recorded = answered.flatMap(({ outcome, at, durationMs }): RecordedOutcome[] => {
      const c = byId.get(outcome.deliveryId);
      if (!c) return [];
      const decision = decideOutcome(c, outcome, { maxAttempts: row.retryMaxAttempts }, now);
      return [{ ...factsOf(c), ...decision, at, durationMs }];
    });
    // One statement for the whole round's outcomes; unsent calls are handed back at once rather
    // than held until the lease ends (which would stall FIFO groups).
    await record(row, recorded);
    await deps.claims.release(
      row.id,
      lanes.unsent.flatMap((call) => call.messages.flatMap((m) => byId.get(m.deliveryId) ?? [])),
      new Date(),
    );
    await deps.health?.observe(row, healthOfRound(answered.map((a) => a.outcome)));
    return {
      sent: recorded.filter((r) => r.kind === 'delivered').length,
      attempted: lanes.sent.reduce((sum, s) => sum + s.result.outcomes.length, 0),
      throttled: answered.some(({ outcome }) => !outcome.ok && outcome.failure.category === 'throttled'),
    };
  }

  return {
    async drain(
      tenantId: string,
      destinationId: string,
      shouldStop: () => boolean = () => false,
    ): Promise<DrainResult> {
      const row = await deps.destinations.getForDrain(tenantId, destinationId);
      // Paused, disabled, deleted and regrouping destinations keep their deliveries where they are;
      // so do those changed after this read: the claims below then take nothing (delivery-claims).
      if (!row || row.deletedAt || !row.enabled || row.pausedAt || row.regroupingAt) return { sent: 0, more: false };
      let resolved: ResolvedDestination;
      try {
        resolved = deps.resolver.resolve(row);
      } catch (error) {
        if (!(error instanceof UnusableDestinationError)) throw error;
        return { sent: 0, more: await holdUnusable(row, error) };
      }
      const pace = { id: row.id, perSecond: row.rateLimitPerSecond, slowedDown: row.slowedDown };
      let markedSlowed = row.slowedDown;
      let sent = 0;
      let attempted = 0;
      let succeeded = false;
      const startedAt = Date.now();
      const deadline = startedAt + options.timeBudgetMs;
      while (!shouldStop()) {
        if (Date.now() > deadline) return { sent, more: true };
        // A claim takes no more messages than the send rate allows now (no Redis call for a
        // destination without rateLimit that is not slowed down); with no tokens, the drain comes
        // back when they are due rather than waiting here.
        const allowance = await deps.sendRate.acquire(pace, options.claimLimit, succeeded);
        // Lifted (Redis says so): the other workers' drains need not ask Redis any more.
        if (markedSlowed && allowance.slowedTo === null) {
          markedSlowed = false;
          await deps.health?.markSlowed(row, null);
        }
        if (allowance.granted === 0) return { sent, more: true, retryInMs: allowance.dueInMs };
        const roundLimits = allowance.granted < limits.rows ? { ...limits, rows: allowance.granted } : limits;
        const claimed = resolved.destination.isFifo
          ? await deps.claims.claimGroupHeads(row, roundLimits)
          : await deps.claims.claimDue(row, roundLimits);
        if (claimed.length === 0) return { sent, more: false };
        // Each round is a span (no-op while tracing is off).
        const round = await inSpan(
          'drain round',
          {
            attributes: {
              'sluice.destination.id': row.id,
              'sluice.destination.type': row.type,
              'sluice.claimed': claimed.length,
            },
          },
          () => sendRound(row, resolved, claimed),
        );
        sent += round.sent;
        attempted += round.attempted;
        // A throttled destination slows down for every worker (its rate halves) and backs off as a
        // whole; its retries come due on their own. What this drain sent a second is where an
        // unlimited destination's slowdown starts.
        if (round.throttled) {
          await deps.sendRate.throttled(pace, (attempted * 1000) / Math.max(1000, Date.now() - startedAt));
          await deps.health?.markSlowed(row, new Date(Date.now() + SLOWDOWN_REMEMBERED_MS));
          return { sent, more: false };
        }
        succeeded = round.sent > 0;
      }
      return { sent, more: true };
    },
  };
}

export type DrainService = ReturnType<typeof createDrainService>;
