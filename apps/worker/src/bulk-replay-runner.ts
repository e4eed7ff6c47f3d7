import type { DlqReplaysRepository } from '@sluice/db/repositories/dlq-replays-repository';
import type { ReplayService } from '@sluice/delivery/replay-service';
import type { JobProducer } from '@sluice/jobs/producer';

export interface ReplayRate {
  /** Entries put back in line per second, so a large replay does not crowd out live traffic. */
  entriesPerSecond: number;
  chunkSize: number;
}

export const defaultReplayRate: ReplayRate = { entriesPerSecond: 500, chunkSize: 100 };

/**
 * Runs a bulk replay: takes its remaining entries a chunk at a time, replays them with its
 * progress (one transaction per chunk), and wakes their destinations' drains. Stopping leaves
 * the replay running in PostgreSQL: the sweeper gives it its job back.
 */
export function createBulkReplayRunner(deps: {
  replays: Pick<DlqReplaysRepository, 'scopeOf' | 'nextItems'>;
  replay: Pick<ReplayService, 'replay'>;
  jobs: Pick<JobProducer, 'enqueue'>;
  isStopping: () => boolean;
  rate?: Partial<ReplayRate>;
}) {
  const rate = { ...defaultReplayRate, ...deps.rate };
  return async function run(replayId: string): Promise<void> {
    const scope = await deps.replays.scopeOf(replayId);
    if (!scope) return;
    while (!deps.isStopping()) {
      const started = Date.now();
      const entryIds = await deps.replays.nextItems(replayId, rate.chunkSize);
      if (entryIds.length === 0) return;
      const { wake } = await deps.replay.replay(scope, entryIds, { replayId });
      // If this wake-up is lost, the due-work poller finds the deliveries within a second.
      await deps.jobs.enqueue('drain', wake).catch(() => {});
      const spare = (entryIds.length / rate.entriesPerSecond) * 1000 - (Date.now() - started);
      if (spare > 0) await new Promise((resolve) => setTimeout(resolve, spare));
    }
  };
}
