import type { EventMetadata } from '@sluice/contracts/events';
import type { EventRow } from './schema.ts';

/** The canonical event as clients read it and destinations receive it. */
export interface EventView {
  id: string;
  eventType: string;
  occurredAt: string;
  source: string;
  customerExternalId: string;
  idempotencyKey: string;
  correlationId: string | null;
  payload: Record<string, unknown>;
  metadata: EventMetadata | null;
  receivedAt: string;
}

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
