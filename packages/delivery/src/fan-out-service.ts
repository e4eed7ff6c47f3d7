import type { DeliveriesRepository, PlannedDelivery } from '@sluice/db/repositories/deliveries-repository';
import type { DestinationRow, EventRow } from '@sluice/db/schema';
import type { ConfiguredDestination } from '@sluice/destinations/registry';
import type { Logger } from '@sluice/logger/logger';
import { toDeliverableEvent } from './deliverable-event.ts';
import { configureStored, type RuntimeDeps } from './destination-runtime.ts';
import { compileEventTypes, type EventTypeMatcher } from './event-type-match.ts';
import { DEFAULT_MAX_AGE_SECONDS } from './retry-policy.ts';

export interface FanOutTarget {
  tenantId: string;
  eventId: string;
}

/**
 * Turns one accepted event into one delivery per matching destination: same tenant and
 * customer, enabled, and an eventTypes pattern that matches. Paused destinations get their
 * deliveries too (they wait); disabled and deleted ones do not.
 */
export function createFanOutService(deps: {
  deliveries: Pick<DeliveriesRepository, 'fanOutMany'>;
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

  // Validating a stored config costs more than the rest of planning; a destination's config
  // only changes with its version (updatedAt), so it is validated once per version.
  const configured = new Map<string, { version: number; destination: ConfiguredDestination }>();
  const configuredFor = (row: DestinationRow): ConfiguredDestination => {
    const version = row.updatedAt.getTime();
    const hit = configured.get(row.id);
    if (hit?.version === version) return hit.destination;
    const destination = configureStored(row, deps.awsEndpoints);
    configured.set(row.id, { version, destination });
    if (configured.size > 5_000) configured.delete(configured.keys().next().value!);
    return destination;
  };

  function plan(event: EventRow, candidates: DestinationRow[]): PlannedDelivery[] {
    const deliverable = toDeliverableEvent(event);
    const planned: PlannedDelivery[] = [];
    for (const row of candidates) {
      if (!row.enabled || !matcherFor(row)(event.eventType)) continue;
      let orderingKey: string | null = null;
      try {
        orderingKey = configuredFor(row).orderingKey(deliverable);
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

  async function fanOutMany(targets: FanOutTarget[]): Promise<Map<string, string[]>> {
    const done = await deps.deliveries.fanOutMany(targets, plan);
    return new Map(done.map(({ event, destinationIds }) => [event.id, destinationIds]));
  }

  return {
    /**
     * Idempotent: a re-run for the same events creates nothing. Answers, per event this call
     * fanned out, the destinations to drain (events already fanned out are not in the answer).
     */
    fanOutMany,

    /** One event; returns the destinations to drain. */
    async fanOut(tenantId: string, eventId: string): Promise<string[]> {
      return (await fanOutMany([{ tenantId, eventId }])).get(eventId) ?? [];
    },
  };
}

export type FanOutService = ReturnType<typeof createFanOutService>;
