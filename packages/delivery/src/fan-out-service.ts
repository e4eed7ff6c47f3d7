import { toDeliverableEvent } from '@sluice/contracts/events';
import { toEventView } from '@sluice/db/event-view';
import type { DeliveriesRepository, PlannedDelivery } from '@sluice/db/repositories/deliveries-repository';
import type { DestinationRow, EventRow } from '@sluice/db/schema';
import { compileEventTypes } from '@sluice/destinations/event-type-match';
import type { DestinationResolver } from '@sluice/destinations/resolver';
import type { Logger } from '@sluice/logger/logger';
import { DEFAULT_MAX_AGE_SECONDS } from './retry-policy.ts';

export interface FanOutTarget {
  tenantId: string;
  eventId: string;
}

/**
 * Turns accepted events into one delivery per matching destination: same tenant and
 * customer, enabled, and an eventTypes pattern that matches. Paused destinations get their
 * deliveries too (they wait); disabled and deleted ones do not.
 */
export function createFanOutService(deps: {
  deliveries: Pick<DeliveriesRepository, 'fanOutMany'>;
  resolver: Pick<DestinationResolver, 'configure'>;
  logger: Logger;
}) {
  function plan(event: EventRow, candidates: DestinationRow[]): PlannedDelivery[] {
    const deliverable = toDeliverableEvent(toEventView(event));
    const planned: PlannedDelivery[] = [];
    for (const row of candidates) {
      if (!row.enabled) continue;
      let orderingKey: string | null = null;
      try {
        const configured = deps.resolver.configure(row);
        if (!configured.matches(event.eventType)) continue;
        orderingKey = configured.destination.orderingKey(deliverable);
      } catch (error) {
        if (!compileEventTypes(row.eventTypes)(event.eventType)) continue;
        // Still create the delivery: the drain holds it with the reason, nothing is dropped.
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
    /**
     * Idempotent: a re-run for the same events creates nothing. Answers, per event this call
     * fanned out, the destinations to drain (events already fanned out are not in the answer).
     */
    async fanOutMany(targets: FanOutTarget[]): Promise<Map<string, string[]>> {
      const done = await deps.deliveries.fanOutMany(targets, plan);
      return new Map(done.map(({ event, destinationIds }) => [event.id, destinationIds]));
    },
  };
}

export type FanOutService = ReturnType<typeof createFanOutService>;
