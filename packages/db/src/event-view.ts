import type { EventView } from '@sluice/contracts/events';
import type { EventRow } from './schema.ts';

/** The stored event as clients read it (destinations receive toDeliverableEvent of it). */
export function toEventView(row: EventRow): EventView {
  return {
    id: row.id,
    eventType: row.eventType,
    occurredAt: row.occurredAt.toISOString(),
    source: row.source,
    customerExternalId: row.customerExternalId,
    idempotencyKey: row.idempotencyKey,
    correlationId: row.correlationId,
    payload: row.payload,
    metadata: row.metadata,
    receivedAt: row.receivedAt.toISOString(),
  };
}
