import { toEventView } from '@sluice/db/event-view';
import type { PageRequest } from '@sluice/db/pagination';
import type { DeliveriesRepository } from '@sluice/db/repositories/deliveries-repository';
import type { DlqReplaysRepository } from '@sluice/db/repositories/dlq-replays-repository';
import type { DlqActor, DlqFilters, DlqRepository, DlqScope } from '@sluice/db/repositories/dlq-repository';
import type { EventsRepository } from '@sluice/db/repositories/events-repository';
import type { DlqEntryRow, DlqReplayRow } from '@sluice/db/schema';
import { AppError, notFound } from '@sluice/errors/app-error';
import type { JobProducer } from '@sluice/jobs/producer';
import type { Logger } from '@sluice/logger/logger';
import { toAttemptView } from './delivery-views.ts';

export const toDlqEntryView = (row: DlqEntryRow) => ({
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
});

const toReplayView = (row: DlqReplayRow) => ({
  replayId: row.id,
  status: row.status,
  total: row.total,
  replayed: row.replayed,
  failed: row.failed,
});

const refusals = {
  not_open: ['not_replayable', 'This entry is already being replayed, or was resolved or discarded.'],
  destination_deleted: [
    'destination_deleted',
    'The destination of this entry was deleted: there is nowhere to deliver it.',
  ],
  destination_disabled: [
    'destination_disabled',
    'The destination of this entry is disabled: enable it (PATCH enabled: true) first.',
  ],
} as const;

const tenantOfScope = (scope: DlqScope) => ('allTenants' in scope ? (scope.tenantId ?? null) : scope.tenantId);

export function createDlqService(deps: {
  dlq: DlqRepository;
  replays: DlqReplaysRepository;
  events: Pick<EventsRepository, 'get'>;
  deliveries: Pick<DeliveriesRepository, 'attemptLog'>;
  jobs: Pick<JobProducer, 'enqueueDrains' | 'enqueueDlqReplays'>;
  tenantExists: (tenantId: string) => Promise<boolean>;
  logger: Logger;
}) {
  async function mustGet(scope: DlqScope, id: string) {
    const entry = await deps.dlq.get(scope, id);
    if (!entry) throw notFound('Dead-letter entry');
    return entry;
  }

  return {
    async list(scope: DlqScope, filters: DlqFilters, page: PageRequest) {
      const result = await deps.dlq.list(scope, filters, page);
      return { data: result.data.map(toDlqEntryView), nextCursor: result.nextCursor };
    },

    async get(scope: DlqScope, id: string) {
      const entry = await mustGet(scope, id);
      const event = await deps.events.get(entry.tenantId, entry.eventId);
      if (!event) throw new AppError('internal_error', 500, `event ${entry.eventId} of entry ${id} is missing`);
      const attempts = await deps.deliveries.attemptLog(entry.deliveryId);
      return { ...toDlqEntryView(entry), event: toEventView(event), attemptLog: attempts.map(toAttemptView) };
    },

    async replay(scope: DlqScope, id: string, actor: DlqActor) {
      const entry = await mustGet(scope, id);
      const [outcome] = await deps.dlq.replay(scope, [id]);
      // The entry exists (mustGet) but was not replayable: resolved, discarded, or replaying.
      if (!outcome) throw new AppError(refusals.not_open[0], 409, refusals.not_open[1]);
      if (outcome.status !== 'replayed') {
        const [code, detail] = refusals[outcome.status];
        throw new AppError(code, 409, detail);
      }
      await deps.dlq.audit({ tenantId: entry.tenantId, actor, action: 'replay', entryId: id });
      await deps.jobs
        .enqueueDrains([{ tenantId: entry.tenantId, destinationId: entry.destinationId }])
        .catch((error: unknown) =>
          deps.logger.warn({ err: error }, 'drain enqueue failed; the poller will pick it up'),
        );
      return { deliveryId: outcome.deliveryId };
    },

    async discard(scope: DlqScope, id: string, actor: DlqActor) {
      const entry = await mustGet(scope, id);
      if (!(await deps.dlq.discard(scope, id))) throw new AppError(refusals.not_open[0], 409, refusals.not_open[1]);
      await deps.dlq.audit({ tenantId: entry.tenantId, actor, action: 'discard', entryId: id });
    },

    async startBulkReplay(scope: DlqScope, filters: DlqFilters, actor: DlqActor) {
      const tenantId = tenantOfScope(scope);
      if (tenantId && !(await deps.tenantExists(tenantId))) throw notFound('Tenant');
      const started = await deps.replays.start(scope, filters);
      await deps.dlq.audit({
        tenantId: tenantOfScope(scope),
        actor,
        action: 'bulk_replay',
        replayId: started.replayId,
        filter: { ...filters },
      });
      await deps.jobs
        .enqueueDlqReplays([{ replayId: started.replayId }])
        .catch((error: unknown) =>
          deps.logger.warn({ err: error }, 'replay enqueue failed; the sweeper will pick it up'),
        );
      return started;
    },

    async getBulkReplay(scope: DlqScope, replayId: string) {
      const row = await deps.dlq.getReplay(scope, replayId);
      if (!row) throw notFound('Replay');
      return toReplayView(row);
    },
  };
}

export type DlqService = ReturnType<typeof createDlqService>;
