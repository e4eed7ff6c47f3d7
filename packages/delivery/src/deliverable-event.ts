import { toEventView } from '@sluice/db/event-view';
import type { EventRow } from '@sluice/db/schema';
import type { DeliverableEvent } from '@sluice/destinations/types';

/** The message body of the contract: the event as clients read it, with absent optionals left out. */
export function toDeliverableEvent(row: EventRow): DeliverableEvent {
  const { correlationId, metadata, ...event } = toEventView(row);
  return {
    ...event,
    ...(correlationId !== null ? { correlationId } : {}),
    ...(metadata !== null ? { metadata } : {}),
  };
}
