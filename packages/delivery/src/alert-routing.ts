import { ALERT_EVENT_SOURCE } from '@sluice/contracts/alerts';
import type { DeliverableEvent } from '@sluice/contracts/events';

/**
 * An alert is never delivered to the destination it is about: that destination is the one in
 * trouble, and a failing alert destination would otherwise keep alerting about itself through
 * itself. The customer's other matching destinations still get it.
 */
export function isAlertAbout(event: DeliverableEvent, destinationId: string): boolean {
  return (
    event.source === ALERT_EVENT_SOURCE &&
    event.eventType.startsWith('sluice.alert.') &&
    event.payload.destinationId === destinationId
  );
}
