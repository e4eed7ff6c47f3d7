import type { DeliveriesRepository, PlannedDelivery } from '@sluice/db/repositories/deliveries-repository';
import type { DestinationRow, EventRow } from '@sluice/db/schema';
import type { Logger } from '@sluice/logger/logger';
import { toDeliverableEvent } from './deliverable-event.ts';
import { configureStored, type RuntimeDeps } from './destination-runtime.ts';
import { compileEventTypes, type EventTypeMatcher } from './event-type-match.ts';
import { DEFAULT_MAX_AGE_SECONDS } from './retry-policy.ts';

/**
 * Turns one accepted event into one delivery per matching destination: same tenant and
 * customer, enabled, and an eventTypes pattern that matches. Paused destinations get their
 * deliveries too (they wait); disabled and deleted ones do not.
 */
export function createFanOutService(deps: {
  deliveries: Pick<DeliveriesRepository, 'fanOut'>;
  awsEndpoints: RuntimeDeps['awsEndpoints'];
  logger: Logger;
}) {
  const matchers = new Map<string, { version: number; matches: EventTypeMatcher }>();
  const matcherFor = (row: DestinationRow): EventTypeMatcher => {
    const version = row.updatedAt.getTime();
    const hit = matchers.get(row.id);
    if (hit?.version === version) return hit.matches;
    const matches = compileEventTypes(row.eventTypes);
    matchers.set(row.id, { version, matches });
    if (matchers.size > 5_000) matchers.delete(matchers.keys().next().value!);
    return matches;
  };

  function plan(event: EventRow, candidates: DestinationRow[]): PlannedDelivery[] {
    const deliverable = toDeliverableEvent(event);
    const planned: PlannedDelivery[] = [];
    for (const row of candidates) {
      if (!row.enabled || !matcherFor(row)(event.eventType)) continue;
      let orderingKey: string | null = null;
      try {
        orderingKey = configureStored(row, deps.awsEndpoints).orderingKey(deliverable);
      } catch (error) {
        // Still create the delivery: the drain dead-letters it with the reason, nothing is dropped.
        deps.logger.error({ err: error, destinationId: row.id }, 'destination config unusable at fan-out');
      }
      planned.push({
        destinationId: row.id,
        orderingKey,
        maxAgeSeconds: row.retryMaxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS,
      });
    }
    return planned;
  }

  return {
    /** Idempotent: a re-run for the same event creates nothing. Returns the destinations to drain. */
    async fanOut(tenantId: string, eventId: string): Promise<string[]> {
      const result = await deps.deliveries.fanOut(tenantId, eventId, plan);
      return result?.destinationIds ?? [];
    },
  };
}

export type FanOutService = ReturnType<typeof createFanOutService>;
