import type { DlqReplaysRepository } from '@sluice/db/repositories/dlq-replays-repository';
import type { DlqRepository } from '@sluice/db/repositories/dlq-repository';
import { jobCatalog } from '@sluice/jobs/catalog';
import type { JobProducer } from '@sluice/jobs/producer';
import type { Logger } from '@sluice/logger/logger';
import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';

export interface ReplayRate {
  /** Entries put back in line per second, so a large replay does not crowd out live traffic. */
  entriesPerSecond: number;
  chunkSize: number;
}

export const defaultReplayRate: ReplayRate = { entriesPerSecond: 500, chunkSize: 100 };

/**
 * Runs bulk replays: takes the replay's remaining entries a chunk at a time, replays them
 * with its progress (one transaction per chunk, so a crash loses or doubles no count), and
 * wakes their destinations' drains. Safe to run twice: a chunk's items are taken first.
 */
export function startDlqReplayWorker(deps: {
  connection: Redis;
  dlq: Pick<DlqRepository, 'replay'>;
  replays: DlqReplaysRepository;
  jobs: Pick<JobProducer, 'enqueueDrains'>;
  logger: Logger;
  isStopping: () => boolean;
  rate?: Partial<ReplayRate>;
}): Worker {
  const rate = { ...defaultReplayRate, ...deps.rate };
  const entry = jobCatalog.dlqReplay;

  async function run(replayId: string) {
    const scope = await deps.replays.scopeOf(replayId);
    if (!scope) return;
    for (;;) {
      // Stopping: the replay stays running in PostgreSQL and the sweeper gives it its job back.
      if (deps.isStopping()) return;
      const started = Date.now();
      const entryIds = await deps.replays.nextItems(replayId, rate.chunkSize);
      if (entryIds.length === 0) return;
      // Replays the chunk, marks its items done and counts them, in one transaction.
      const outcomes = await deps.dlq.replay(scope, entryIds, { replayId });
      const replayed = outcomes.filter((o) => o.status === 'replayed');
      const destinations = await deps.replays.destinationsOf(replayed.map((o) => o.entryId));
      await deps.jobs.enqueueDrains(destinations).catch(() => {});
      const budgetMs = (entryIds.length / rate.entriesPerSecond) * 1000;
      const spare = budgetMs - (Date.now() - started);
      if (spare > 0) await new Promise((resolve) => setTimeout(resolve, spare));
    }
  }

  const worker = new Worker(
    entry.queue,
    async (job: Job) => {
      await run(entry.payload.parse(job.data).replayId);
    },
    { connection: deps.connection, concurrency: 2 },
  );
  worker.on('failed', (job, error) => deps.logger.warn({ jobId: job?.id, err: error }, 'dlq replay job failed'));
  worker.on('error', (error) => deps.logger.warn({ err: error }, 'dlq replay worker error'));
  return worker;
}
