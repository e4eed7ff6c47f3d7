import type { DlqReplaysRepository } from '@sluice/db/repositories/dlq-replays-repository';
import type { ReplayService } from '@sluice/delivery/replay-service';
import type { JobProducer } from '@sluice/jobs/producer';
import type { TenantShares } from './tenant-shares.ts';

export interface ReplayRate {
  /**
   * Entries a tenant's bulk replays put back in line per second, all of them together (split
   * evenly between its running replays), so replays do not crowd out live traffic.
   */
  entriesPerSecond: number;
  chunkSize: number;
  /** One run replays for about this long, then goes to the back of the queue. */
  sliceMs: number;
}

export const defaultReplayRate: ReplayRate = { entriesPerSecond: 500, chunkSize: 100, sliceMs: 1_000 };

/** A replay whose tenant holds its share of the replay slots comes back after this long. */
const AT_SHARE_DELAY_MS = 500;

/** Operator replays across tenants are shared out as one tenant of their own. */
const ALL_TENANTS = 'all-tenants';

/**
 * Runs a bulk replay a slice at a time: takes its remaining entries a chunk at a time, replays
 * them with its progress (one transaction per chunk), and wakes their destinations' drains.
 * After a slice the job goes to the back of the queue (`again`), so a one-entry replay never
 * waits for a million-entry one to finish, and a tenant's replays run only within its share of
 * the slots (tenant-shares.ts). Stopping leaves the replay running in PostgreSQL: the sweeper
 * gives it its job back.
 */
export function createBulkReplayRunner(deps: {
  replays: Pick<DlqReplaysRepository, 'scopeOf' | 'nextItems' | 'countRunning'>;
  replay: Pick<ReplayService, 'replay'>;
  jobs: Pick<JobProducer, 'enqueue'>;
  shares: TenantShares;
  isStopping: () => boolean;
  rate?: Partial<ReplayRate>;
}) {
  const rate = { ...defaultReplayRate, ...deps.rate };
  return async function run(replayId: string): Promise<{ again: boolean; againInMs?: number }> {
    const scope = await deps.replays.scopeOf(replayId);
    if (!scope) return { again: false };
    const tenantId = 'allTenants' in scope ? null : scope.tenantId;
    const tenantKey = tenantId ?? ALL_TENANTS;
    const release = deps.shares.tryTake(tenantKey);
    if (!release) return { again: true, againInMs: AT_SHARE_DELAY_MS };
    try {
      // The tenant's rate, split between its replays that are running (in any process).
      const perReplay = rate.entriesPerSecond / Math.max(1, await deps.replays.countRunning(tenantId));
      const sliceEnd = Date.now() + rate.sliceMs;
      while (!deps.isStopping() && !deps.shares.overShare(tenantKey) && Date.now() < sliceEnd) {
        const started = Date.now();
        const entryIds = await deps.replays.nextItems(replayId, rate.chunkSize);
        if (entryIds.length === 0) return { again: false };
        const { wake } = await deps.replay.replay(scope, entryIds, { replayId });
        // If this wake-up is lost, the due-work poller finds the deliveries within a second.
        await deps.jobs.enqueue('drain', wake).catch(() => {});
        const spare = (entryIds.length / perReplay) * 1000 - (Date.now() - started);
        if (spare > 0) await new Promise((resolve) => setTimeout(resolve, spare));
      }
      return { again: true };
    } finally {
      release();
    }
  };
}
