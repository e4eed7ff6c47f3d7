import type { EventView } from '@sluice/contracts/events';
import type { Scope } from '@sluice/contracts/tenants';
import type { QueuePosition } from '@sluice/db/repositories/deliveries-repository';
import type { DeliveryAttemptRow, DeliveryRow } from '@sluice/db/schema/deliveries';
import type { DlqEntryRow, DlqReplayRow } from '@sluice/db/schema/dlq';
import type { EventRow } from '@sluice/db/schema/events';
import type { ApiKeyRow, TenantRow } from '@sluice/db/schema/tenants';

/**
 * Rows as clients read them: the one place stored shapes become API shapes (destinations have
 * their own file, views/destinations.ts). Services call these; routes never map rows.
 */

export const toTenantView = (row: TenantRow) => ({
  id: row.id,
  name: row.name,
  createdAt: row.createdAt.toISOString(),
  portal: { frameAncestors: row.portalFrameAncestors },
});

export const toApiKeyView = (row: ApiKeyRow) => ({
  id: row.id,
  name: row.name,
  scopes: row.scopes.filter((scope): scope is Scope => scope === 'admin' || scope === 'ingest'),
  createdAt: row.createdAt.toISOString(),
  lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  revokedAt: row.revokedAt?.toISOString() ?? null,
});

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

export const GROUP_HELD_MESSAGE =
  'Waiting behind a dead message of its FIFO group (the destination holds groups: fifo.onDeadLetter "hold"): ' +
  'replay or discard the dead-letter entry that holds the group and this delivery goes on in its turn.';

/**
 * `queued`: where a pending delivery stands in line: when it is due next (null once final), or
 * since when its FIFO group is held behind a dead message (then its lastError says so).
 */
export const toDeliveryView = (row: DeliveryRow, queued: QueuePosition | undefined) => ({
  id: row.id,
  eventId: row.eventId,
  destinationId: row.destinationId,
  status: row.status,
  attempts: row.attempts,
  lastError:
    row.status === 'pending' && queued?.heldAt
      ? { code: 'group_held', message: GROUP_HELD_MESSAGE, at: queued.heldAt.toISOString() }
      : row.lastError,
  deliveredAt: row.deliveredAt?.toISOString() ?? null,
  nextAttemptAt: row.status === 'pending' && queued?.dueAt ? queued.dueAt.toISOString() : null,
  providerMessageId: row.providerMessageId,
  createdAt: row.createdAt.toISOString(),
});

interface AttemptView {
  n: number;
  at: string;
  durationMs: number;
  outcome: 'delivered' | 'transient_error' | 'permanent_error';
  errorCode?: string;
  errorMessage?: string;
  providerMessageId?: string;
}

/** Every attempt in order: the failed ones as logged, and the successful one from the delivery itself. */
export function toAttemptLog(delivery: DeliveryRow, failed: DeliveryAttemptRow[]) {
  const log: AttemptView[] = failed.map((row) => ({
    n: row.n,
    at: row.at.toISOString(),
    durationMs: row.durationMs,
    outcome: row.outcome,
    ...(row.errorCode ? { errorCode: row.errorCode } : {}),
    ...(row.errorMessage ? { errorMessage: row.errorMessage } : {}),
  }));
  if (delivery.status === 'delivered' && delivery.deliveredAt) {
    const durationMs = delivery.lastDurationMs ?? 0;
    log.push({
      n: delivery.attempts,
      at: new Date(delivery.deliveredAt.getTime() - durationMs).toISOString(),
      durationMs,
      outcome: 'delivered',
      ...(delivery.providerMessageId ? { providerMessageId: delivery.providerMessageId } : {}),
    });
  }
  return log.sort((a, b) => a.n - b.n);
}

/** `waitingBehind`: how many of its group wait, for an entry that holds its group. */
export const toDlqEntryView = (row: DlqEntryRow, waitingBehind = 0) => ({
  id: row.id,
  deliveryId: row.deliveryId,
  eventId: row.eventId,
  destinationId: row.destinationId,
  tenantId: row.tenantId,
  customerExternalId: row.customerExternalId,
  eventType: row.eventType,
  reason: row.reason,
  lastError: row.lastError,
  attempts: row.attempts,
  state: row.state,
  createdAt: row.createdAt.toISOString(),
  replayCount: row.replayCount,
  holdsGroup: row.state === 'open' && row.holdsGroup,
  waitingBehind: row.state === 'open' && row.holdsGroup ? waitingBehind : 0,
});

export const toReplayView = (row: DlqReplayRow) => ({
  replayId: row.id,
  status: row.status,
  total: row.total,
  replayed: row.replayed,
  failed: row.failed,
});
