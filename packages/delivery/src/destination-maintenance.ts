import type { Executor } from '@sluice/db/client';
import { deadLetterInLine, dropEmptyGroups, hasDeliveriesInLine } from '@sluice/db/repositories/dead-letters';
import type { DestinationsRepository } from '@sluice/db/repositories/destinations-repository';
import type { Regroup } from '@sluice/db/repositories/regroup';
import type { DestinationResolver } from '@sluice/destinations/resolver';

/**
 * Work on a destination's whole backlog, done in the background in bounded steps so no API
 * request holds a transaction over thousands of rows: dead-lettering a deleted destination's
 * deliveries, expiring a disabled one's, and regrouping after a config change.
 */
export interface MaintenanceOptions {
  /** Deliveries per statement. */
  batchSize: number;
  /** A regroup page reads the events it rekeys: at most about this many bytes of them. */
  pageBytes: number;
  /** A run hands the job back after this long (it is enqueued again). */
  timeBudgetMs: number;
}

/** done; more: work left after the time budget; waiting: a claim in flight holds what is left. */
export type MaintenanceState = 'done' | 'more' | 'waiting';

export const defaultMaintenanceOptions: MaintenanceOptions = {
  batchSize: 500,
  pageBytes: 8 * 1024 * 1024,
  timeBudgetMs: 5_000,
};

export function createDestinationMaintenance(deps: {
  executor: Executor;
  destinations: Pick<DestinationsRepository, 'getIncludingDeleted' | 'finishRegrouping'>;
  regroup: Regroup;
  resolver: Pick<DestinationResolver, 'configure'>;
  options?: Partial<MaintenanceOptions>;
}) {
  const options = { ...defaultMaintenanceOptions, ...deps.options };

  /** Batches until nothing is left or the time is up; answers whether work remains. */
  async function inBatches(step: () => Promise<number>): Promise<boolean> {
    const deadline = Date.now() + options.timeBudgetMs;
    for (;;) {
      const moved = await step();
      if (moved < options.batchSize) return false;
      if (Date.now() > deadline) return true;
    }
  }

  return {
    /**
     * A deleted destination's deliveries in line go to the dead-letter queue (destination_deleted).
     * Those a drain holds are waited for: recorded delivered, they are done; handed back for a
     * retry, the next pass takes them.
     */
    async purgeDeleted(destinationId: string): Promise<MaintenanceState> {
      const error = {
        code: 'destination_deleted',
        message: 'The destination was deleted before this delivery was sent.',
        at: new Date().toISOString(),
      };
      const more = await inBatches(() =>
        deadLetterInLine(deps.executor, destinationId, {
          limit: options.batchSize,
          reason: 'destination_deleted',
          error,
          expiredOnly: false,
        }),
      );
      if (more) return 'more';
      if (await hasDeliveriesInLine(deps.executor, destinationId)) return 'waiting';
      await dropEmptyGroups(deps.executor, destinationId);
      return 'done';
    },

    /** A disabled destination's deliveries past their retry window go to the dead-letter queue. */
    async expireDisabled(destinationId: string): Promise<{ more: boolean }> {
      const error = {
        code: 'destination_disabled',
        message: "The destination was disabled until this delivery's retry window ended.",
        at: new Date().toISOString(),
      };
      return {
        more: await inBatches(() =>
          deadLetterInLine(deps.executor, destinationId, {
            limit: options.batchSize,
            reason: 'retries_exhausted',
            error,
            expiredOnly: true,
          }),
        ),
      };
    },

    /**
     * Pending deliveries take the groups of the destination's current config. The destination
     * is marked regrouping (its drains claim nothing) before this runs; it waits while a claim
     * is live, then rekeys every page and rebuilds the groups, and only then clears the mark. A
     * crash midway leaves the mark: the job runs again from the start. So does a PATCH that set
     * the mark again meanwhile: the keys must follow its config, not the one read here.
     */
    async regroup(tenantId: string, destinationId: string): Promise<MaintenanceState> {
      const row = await deps.destinations.getIncludingDeleted(tenantId, destinationId);
      if (!row || row.deletedAt || !row.regroupingAt) return 'done';
      if (await deps.regroup.hasLiveClaims(destinationId)) return 'waiting';
      const { destination } = deps.resolver.configure(row);
      let after: string | null = '00000000-0000-0000-0000-000000000000';
      while (after !== null) {
        after = await deps.regroup.rekeyPage(destinationId, (event) => destination.orderingKey(event), after, {
          rows: options.batchSize,
          bytes: options.pageBytes,
        });
      }
      // Dead heads that hold their groups move with them: the rebuilt groups stay held where they fall.
      after = '00000000-0000-0000-0000-000000000000';
      while (after !== null) {
        after = await deps.regroup.rekeyHoldingPage(
          destinationId,
          (event) => destination.orderingKey(event),
          after,
          options.batchSize,
        );
      }
      await deps.regroup.rebuildGroups(destinationId);
      return (await deps.destinations.finishRegrouping(tenantId, destinationId, row.regroupingAt)) ? 'done' : 'waiting';
    },
  };
}

export type DestinationMaintenance = ReturnType<typeof createDestinationMaintenance>;
