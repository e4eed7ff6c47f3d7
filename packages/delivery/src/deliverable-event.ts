import type { EventRow } from '@sluice/db/schema';
import type { DeliverableEvent } from '@sluice/destinations/types';

/** The message body of the contract: the canonical fields plus id and receivedAt; absent optionals are left out. */
export function toDeliverableEvent(row: EventRow): DeliverableEvent {
  return {
    id: row.id,
    eventType: row.eventType,
    occurredAt: row.occurredAt.toISOString(),
    source: row.source,
    customerExternalId: row.customerExternalId,
    idempotencyKey: row.idempotencyKey,
    ...(row.correlationId !== null ? { correlationId: row.correlationId } : {}),
    payload: row.payload,
    ...(row.metadata !== null ? { metadata: row.metadata } : {}),
    receivedAt: row.receivedAt.toISOString(),
  };
}
