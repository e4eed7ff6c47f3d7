import type { DatabaseHandle } from '@sluice/db/client';
import type { DeliveryQueue } from '@sluice/db/repositories/delivery-queue';
import type { DlqReplaysRepository } from '@sluice/db/repositories/dlq-replays-repository';
import type { DlqRepository, DlqScope, ReplayCandidate } from '@sluice/db/repositories/dlq-repository';
import type { DestinationRef } from '@sluice/db/repositories/due-work';
import type { FifoHolds } from '@sluice/db/repositories/fifo-holds';

export type ReplayOutcome =
  | { entryId: string; status: 'replayed'; deliveryId: string; holdsGroup: boolean }
  | { entryId: string; status: 'destination_deleted' | 'destination_disabled' };

/** Whether a locked, open entry of a dead delivery can go back in line now. */
export function decideReplay(candidate: ReplayCandidate): ReplayOutcome {
  if (candidate.destinationDeleted) return { entryId: candidate.entryId, status: 'destination_deleted' };
  if (!candidate.destinationEnabled) return { entryId: candidate.entryId, status: 'destination_disabled' };
  return {
    entryId: candidate.entryId,
    status: 'replayed',
    deliveryId: candidate.deliveryId,
    holdsGroup: candidate.holdsGroup,
  };
}

/**
 * Replays dead-letter entries, one or a bulk replay's chunk, in one transaction: take the
 * chunk's items (bulk), lock the entries that can be replayed, decide, put their deliveries
 * back in line (one that holds its FIFO group at its own turn, first in the group; any other at
 * the back), mark the entries replaying and count the chunk. A crash loses or doubles no
 * count; an entry that is not open (resolved, discarded, replaying) is simply not among the
 * outcomes. Answers the outcomes and the destinations whose drains to wake.
 */
export function createReplayService(deps: {
  database: Pick<DatabaseHandle, 'transaction'>;
  dlq: Pick<DlqRepository, 'lockReplayable' | 'markReplaying'>;
  replays: Pick<DlqReplaysRepository, 'takeItems' | 'countProgress'>;
  queue: Pick<DeliveryQueue, 'requeueDead'>;
  holds: Pick<FifoHolds, 'requeueHeld'>;
}) {
  return {
    replay(
      scope: DlqScope,
      entryIds: string[],
      bulk?: { replayId: string },
    ): Promise<{ outcomes: ReplayOutcome[]; wake: DestinationRef[] }> {
      return deps.database.transaction(async (tx) => {
        const ids = bulk ? await deps.replays.takeItems(tx, bulk.replayId, entryIds) : entryIds;
        const outcomes = (await deps.dlq.lockReplayable(tx, scope, ids)).map(decideReplay);
        const replayed = outcomes.filter((o) => o.status === 'replayed');
        const wake = [
          ...(await deps.queue.requeueDead(
            tx,
            replayed.filter((o) => !o.holdsGroup).map((o) => o.deliveryId),
          )),
          ...(await deps.holds.requeueHeld(
            tx,
            replayed.filter((o) => o.holdsGroup).map((o) => o.deliveryId),
          )),
        ];
        await deps.dlq.markReplaying(
          tx,
          replayed.map((o) => o.entryId),
        );
        // Items whose entry is no longer open, or out of scope, count as failed too.
        if (bulk) await deps.replays.countProgress(tx, bulk.replayId, replayed.length, ids.length - replayed.length);
        return { outcomes, wake };
      });
    },
  };
}

export type ReplayService = ReturnType<typeof createReplayService>;
