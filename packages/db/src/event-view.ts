import {
  type DeliverableEvent,
  type EventMetadata,
  type EventView,
  toDeliverableEvent,
} from '@sluice/contracts/events';
import type { EventRow } from './schema/events.ts';

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

/**
 * The event columns plain-SQL statements select (events aliased `e`), and their row shape.
 * trace_context is never part of what is delivered: claims keep it beside the event.
 */
export const EVENT_COLUMNS = `e.id as event_id, e.event_type, e.occurred_at, e.source, e.customer_external_id,
  e.idempotency_key, e.correlation_id, e.payload, e.metadata, e.received_at, e.trace_context`;

export interface EventColumns {
  event_id: string;
  event_type: string;
  occurred_at: Date;
  source: string;
  customer_external_id: string;
  idempotency_key: string;
  correlation_id: string | null;
  payload: Record<string, unknown>;
  metadata: EventMetadata | null;
  received_at: Date;
  trace_context: string | null;
}

export function deliverableOf(row: EventColumns): DeliverableEvent {
  return toDeliverableEvent({
    id: row.event_id,
    eventType: row.event_type,
    occurredAt: row.occurred_at.toISOString(),
    source: row.source,
    customerExternalId: row.customer_external_id,
    idempotencyKey: row.idempotency_key,
    correlationId: row.correlation_id,
    payload: row.payload,
    metadata: row.metadata,
    receivedAt: row.received_at.toISOString(),
  });
}
