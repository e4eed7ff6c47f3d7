import type { DeliveryAttemptRow, DeliveryRow } from '@sluice/db/schema';

/** Deliveries and their attempts as clients read them (the deliveries and dead-letter routes). */
export const toDeliveryView = (row: DeliveryRow) => ({
  id: row.id,
  eventId: row.eventId,
  destinationId: row.destinationId,
  status: row.status,
  attempts: row.attempts,
  lastError: row.lastError,
  deliveredAt: row.deliveredAt?.toISOString() ?? null,
  nextAttemptAt: row.status === 'pending' ? row.nextAttemptAt.toISOString() : null,
  providerMessageId: row.providerMessageId,
  createdAt: row.createdAt.toISOString(),
});

export const toAttemptView = (row: DeliveryAttemptRow) => ({
  n: row.n,
  at: row.at.toISOString(),
  durationMs: row.durationMs,
  outcome: row.outcome,
  ...(row.errorCode ? { errorCode: row.errorCode } : {}),
  ...(row.errorMessage ? { errorMessage: row.errorMessage } : {}),
  ...(row.providerMessageId ? { providerMessageId: row.providerMessageId } : {}),
});
