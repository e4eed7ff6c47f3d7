import type { PreviewRequest } from '@sluice/contracts/destination-preview';
import { type DeliverableEvent, type EventInput, toDeliverableEvent } from '@sluice/contracts/events';
import { newId } from '@sluice/db/ids';
import type { DestinationsRepository } from '@sluice/db/repositories/destinations-repository';
import type { EventsRepository } from '@sluice/db/repositories/events-repository';
import type { DestinationRow } from '@sluice/db/schema/destinations';
import type { ConfiguredDestination } from '@sluice/destinations/bound-destination';
import { type DestinationResolver, UnusableDestinationError } from '@sluice/destinations/resolver';
import { badRequest, notFound } from '@sluice/errors/app-error';
import { toEventView } from '../views/records.ts';
import type { TenantScope } from './tenant-scope.ts';

/**
 * POST /v1/destinations/{id}/preview: exactly what one event would be sent as (body, attributes,
 * group and deduplication ids or partition key, size), through the same transform, encoding and
 * size limit as a delivery, and without sending anything. A transform that fails is an answer
 * (200 with `error`), not a server error: finding that out is what the preview is for.
 */

export function createDestinationPreviewService(deps: {
  destinations: Pick<DestinationsRepository, 'get'>;
  events: Pick<EventsRepository, 'get' | 'asStored'>;
  resolver: Pick<DestinationResolver, 'configure'>;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());

  function configured(row: DestinationRow): ConfiguredDestination {
    try {
      return deps.resolver.configure(row).destination;
    } catch (error) {
      if (!(error instanceof UnusableDestinationError)) throw error;
      throw badRequest(`The destination cannot be used: ${error.message}. PATCH config to fix it.`);
    }
  }

  /** A stored event of the destination's customer (another customer's is never sent there). */
  async function storedEvent(tenantId: string, row: DestinationRow, eventId: string): Promise<DeliverableEvent> {
    const event = await deps.events.get(tenantId, eventId);
    if (!event || event.customerExternalId !== row.customerExternalId) throw notFound('Event');
    return toDeliverableEvent(toEventView(event));
  }

  /** An event as if it were accepted now: a fresh id and receivedAt, its JSON as PostgreSQL keeps it. */
  async function acceptedAsIf(input: EventInput): Promise<DeliverableEvent> {
    const stored = await deps.events.asStored(input.payload, input.metadata ?? null);
    const at = now().toISOString();
    return {
      id: newId(),
      eventType: input.eventType,
      occurredAt: new Date(input.occurredAt).toISOString(),
      source: input.source,
      customerExternalId: input.customerExternalId,
      idempotencyKey: input.idempotencyKey,
      ...(input.correlationId ? { correlationId: input.correlationId } : {}),
      payload: stored.payload,
      ...(stored.metadata ? { metadata: toMetadata(stored.metadata) } : {}),
      receivedAt: at,
    };
  }

  return {
    async preview(scope: TenantScope, destinationId: string, input: PreviewRequest) {
      const { tenantId } = scope;
      const row = await deps.destinations.get(tenantId, destinationId, scope.customerExternalId);
      if (!row) throw notFound('Destination');
      const destination = configured(row);
      const event = input.eventId
        ? await storedEvent(tenantId, row, input.eventId)
        : input.event
          ? await acceptedAsIf(input.event)
          : undefined;
      if (!event) throw badRequest('Give exactly one of "event" (a canonical event) or "eventId".');

      const batch = await destination.prepare([{ deliveryId: 'preview', event }]);
      const [message] = batch.messages;
      if (message) return destination.preview(message, row.maxMessageBytes);
      const [refused] = batch.rejected;
      const failure = refused && !refused.ok ? refused.failure : undefined;
      return { error: { code: failure?.code ?? 'transform_failed', message: failure?.message ?? 'Not transformed.' } };
    },
  };
}

function toMetadata(value: Record<string, unknown>): Record<string, string | number | boolean> {
  const metadata: Record<string, string | number | boolean> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') metadata[key] = item;
  }
  return metadata;
}

export type DestinationPreviewService = ReturnType<typeof createDestinationPreviewService>;
