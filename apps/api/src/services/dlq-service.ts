import type { DatabaseHandle } from '@sluice/db/client';
import type { PageRequest } from '@sluice/db/pagination';
import type { DeliveriesRepository } from '@sluice/db/repositories/deliveries-repository';
import type { DlqReplaysRepository } from '@sluice/db/repositories/dlq-replays-repository';
import type { DlqActor, DlqFilters, DlqRepository, DlqScope } from '@sluice/db/repositories/dlq-repository';
import type { EventsRepository } from '@sluice/db/repositories/events-repository';
import type { FifoHolds } from '@sluice/db/repositories/fifo-holds';
import type { DlqEntryRow } from '@sluice/db/schema/dlq';
import type { ReplayService } from '@sluice/delivery/replay-service';
import { AppError, notFound } from '@sluice/errors/app-error';
import type { JobProducer } from '@sluice/jobs/producer';
import type { Logger } from '@sluice/logger/logger';
import { toAttemptLog, toDlqEntryView, toEventView, toReplayView } from '../views/records.ts';

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

const refuse = (why: keyof typeof refusals) => new AppError(refusals[why][0], 409, refusals[why][1]);

const tenantOfScope = (scope: DlqScope) => ('allTenants' in scope ? (scope.tenantId ?? null) : scope.tenantId);

export function createDlqService(deps: {
  database: Pick<DatabaseHandle, 'transaction' | 'executor'>;
  dlq: DlqRepository;
  replays: DlqReplaysRepository;
  replay: Pick<ReplayService, 'replay'>;
  events: Pick<EventsRepository, 'get'>;
  deliveries: Pick<DeliveriesRepository, 'get' | 'failedAttempts'>;
  jobs: Pick<JobProducer, 'enqueue'>;
  holds: Pick<FifoHolds, 'waitingBehind' | 'releaseGroupOf'>;
  tenantExists: (tenantId: string) => Promise<boolean>;
  logger: Logger;
}) {
  async function mustGet(scope: DlqScope, id: string) {
    const entry = await deps.dlq.get(scope, id);
    if (!entry) throw notFound('Dead-letter entry');
    return entry;
  }

  /** A wake-up after a commit is not vital: if it is lost, the poller or the sweeper catches up. */
  const pickedUpLater = (what: string) => (error: unknown) =>
    deps.logger.warn({ err: error }, `${what} enqueue failed; it is picked up later`);

  /** Entries as clients see them, with how many messages wait behind those that hold their group. */
  async function views(entries: DlqEntryRow[]) {
    const holding = entries.filter((entry) => entry.state === 'open' && entry.holdsGroup);
    const waiting = await deps.holds.waitingBehind(holding.map((entry) => entry.deliveryId));
    return entries.map((entry) => toDlqEntryView(entry, waiting.get(entry.deliveryId)));
  }

  return {
    async list(scope: DlqScope, filters: DlqFilters, page: PageRequest) {
      const result = await deps.dlq.list(scope, filters, page);
      return { data: await views(result.data), nextCursor: result.nextCursor };
    },

    async get(scope: DlqScope, id: string) {
      const entry = await mustGet(scope, id);
      const [event, delivery] = await Promise.all([
        deps.events.get(entry.tenantId, entry.eventId),
        deps.deliveries.get(entry.tenantId, entry.deliveryId),
      ]);
      if (!event || !delivery)
        throw new AppError('internal_error', 500, `the event or delivery of entry ${id} is missing`);
      const attemptLog = toAttemptLog(delivery, await deps.deliveries.failedAttempts(delivery.id));
      const [view] = await views([entry]);
      return { ...view!, event: toEventView(event), attemptLog };
    },

    async replay(scope: DlqScope, id: string, actor: DlqActor) {
      const entry = await mustGet(scope, id);
      const { outcomes, wake: destinations } = await deps.replay.replay(scope, [id]);
      const [outcome] = outcomes;
      // The entry exists (mustGet) but was not replayable: resolved, discarded, or replaying.
      if (!outcome) throw refuse('not_open');
      if (outcome.status !== 'replayed') throw refuse(outcome.status);
      await deps.dlq.audit(deps.database.executor, { tenantId: entry.tenantId, actor, action: 'replay', entryId: id });
      await deps.jobs.enqueue('drain', destinations).catch(pickedUpLater('drain'));
      return { deliveryId: outcome.deliveryId };
    },

    async discard(scope: DlqScope, id: string, actor: DlqActor) {
      const entry = await mustGet(scope, id);
      const released = await deps.database.transaction(async (tx) => {
        if (!(await deps.dlq.discard(tx, scope, id))) return undefined;
        await deps.dlq.audit(tx, { tenantId: entry.tenantId, actor, action: 'discard', entryId: id });
        // A discarded entry that held its FIFO group lets the group go on (if nothing else holds it).
        return entry.holdsGroup ? deps.holds.releaseGroupOf(tx, entry.deliveryId) : [];
      });
      if (!released) throw refuse('not_open');
      if (released.length > 0) await deps.jobs.enqueue('drain', released).catch(pickedUpLater('drain'));
    },

    async startBulkReplay(scope: DlqScope, filters: DlqFilters, actor: DlqActor) {
      const tenantId = tenantOfScope(scope);
      if (tenantId && !(await deps.tenantExists(tenantId))) throw notFound('Tenant');
      const started = await deps.database.transaction(async (tx) => {
        const replay = await deps.replays.start(tx, scope, filters);
        await deps.dlq.audit(tx, {
          tenantId,
          actor,
          action: 'bulk_replay',
          replayId: replay.replayId,
          filter: { ...filters },
        });
        return replay;
      });
      await deps.jobs.enqueue('dlqReplay', [{ replayId: started.replayId }]).catch(pickedUpLater('replay'));
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
