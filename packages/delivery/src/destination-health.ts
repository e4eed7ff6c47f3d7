import type { DestinationHealthRepository, HealthState } from '@sluice/db/repositories/destination-health-repository';
import type { DeliveryOutcome } from '@sluice/destinations/types';
import type { Logger } from '@sluice/logger/logger';

/**
 * A destination's health as its drains see it (`paused` is the destination's own setting and is
 * not recorded here). A round that delivered and met no failure of the destination's own is
 * healthy; AWS throttling is throttled; failures that say the destination cannot take messages
 * (denied, missing, unreachable, server errors) with nothing delivered, or any permanent one,
 * are failing. A message too large for the destination is that message's problem, not the
 * destination's, and a round with nothing to show changes nothing.
 */
export interface ObservedHealth {
  state: HealthState;
  detail: string | null;
}

export function healthOfRound(outcomes: readonly DeliveryOutcome[]): ObservedHealth | null {
  let delivered = 0;
  let throttled: string | undefined;
  let failed: string | undefined;
  let permanent: string | undefined;
  for (const outcome of outcomes) {
    if (outcome.ok) {
      delivered++;
      continue;
    }
    const { failure } = outcome;
    if (failure.category === 'too_large') continue;
    if (failure.category === 'throttled') throttled ??= failure.message;
    else if (failure.kind === 'permanent') permanent ??= failure.message;
    else failed ??= failure.message;
  }
  if (permanent !== undefined) return { state: 'failing', detail: permanent };
  if (throttled !== undefined) return { state: 'throttled', detail: throttled };
  if (delivered === 0 && failed !== undefined) return { state: 'failing', detail: failed };
  if (delivered > 0) return { state: 'healthy', detail: null };
  return null;
}

export interface HealthTrackerOptions {
  /** A state seen again within this long is not written again; past it, it is confirmed (another worker may have written another). */
  confirmAfterMs: number;
  /** Destinations remembered at most (the least recently seen is forgotten). */
  maxRemembered: number;
}

/**
 * Records health transitions cheaply: the process remembers the last state it saw per
 * destination and writes only when it changes (a conditional upsert that leaves an equal row
 * alone), so a steady destination costs no write per round. A failure to record is logged and
 * never fails the drain.
 */
export function createHealthTracker(deps: {
  health: Pick<DestinationHealthRepository, 'record' | 'markSlowed'>;
  logger: Logger;
  options?: Partial<HealthTrackerOptions>;
}) {
  const options: HealthTrackerOptions = { confirmAfterMs: 30_000, maxRemembered: 10_000, ...deps.options };
  const seen = new Map<string, { state: HealthState; at: number }>();

  return {
    async observe(destination: { id: string; tenantId: string }, observed: ObservedHealth | null): Promise<void> {
      if (!observed) return;
      const now = Date.now();
      const last = seen.get(destination.id);
      if (last && last.state === observed.state && now - last.at < options.confirmAfterMs) return;
      try {
        await deps.health.record(destination.tenantId, destination.id, observed.state, observed.detail);
      } catch (error) {
        deps.logger.warn({ err: error, destinationId: destination.id }, 'could not record destination health');
        return;
      }
      seen.delete(destination.id);
      seen.set(destination.id, { state: observed.state, at: now });
      if (seen.size > options.maxRemembered) {
        const oldest = seen.keys().next().value;
        if (oldest !== undefined) seen.delete(oldest);
      }
    },

    /** Tells every worker's drains that the destination is slowed down until then (null: lifted); failures are logged. */
    async markSlowed(destination: { id: string; tenantId: string }, until: Date | null): Promise<void> {
      try {
        await deps.health.markSlowed(destination.tenantId, destination.id, until);
      } catch (error) {
        deps.logger.warn({ err: error, destinationId: destination.id }, 'could not record the destination slowdown');
      }
    },
  };
}

export type HealthTracker = ReturnType<typeof createHealthTracker>;
