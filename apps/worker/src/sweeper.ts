import type { Executor } from '@sluice/db/client';
import type { DlqReplaysRepository } from '@sluice/db/repositories/dlq-replays-repository';
import type { DueWork } from '@sluice/db/repositories/due-work';
import type { OutboxRepository } from '@sluice/db/repositories/outbox-repository';
import type { JobProducer } from '@sluice/jobs/producer';
import type { Logger } from '@sluice/logger/logger';
import { createPeriodicTask } from './periodic-task.ts';

/**
 * PostgreSQL is the truth and Redis is disposable: the sweeper finds work that PostgreSQL
 * says is outstanding and makes sure a job exists for it (jobs are deduplicated, so one that
 * exists is left alone). It covers a crash between the API's commit and its wake-up, a Redis
 * that lost its data, and backlogs no request will ever wake: a deleted destination's, a
 * disabled one's whose retry window ended, a regroup or a bulk replay whose job was lost.
 */
export interface SweeperOptions {
  intervalMs: number;
}

export const defaultSweeperOptions: SweeperOptions = { intervalMs: 15_000 };

export interface SweepResult {
  tenants: number;
  purges: number;
  expiries: number;
  regroups: number;
  replays: number;
}

export function createSweeper(deps: {
  executor: Executor;
  outbox: Pick<OutboxRepository, 'tenantsWithWork'>;
  dueWork: Pick<DueWork, 'deletedWithBacklog' | 'disabledWithExpired' | 'regrouping'>;
  replays: Pick<DlqReplaysRepository, 'listRunning'>;
  jobs: Pick<JobProducer, 'enqueue'>;
  logger: Logger;
  options?: Partial<SweeperOptions>;
}) {
  const options = { ...defaultSweeperOptions, ...deps.options };

  async function sweepOnce(): Promise<SweepResult> {
    const tenants = await deps.outbox.tenantsWithWork(deps.executor);
    await deps.jobs.enqueue(
      'fanOut',
      tenants.map((tenantId) => ({ tenantId })),
    );
    const deleted = await deps.dueWork.deletedWithBacklog(500);
    await deps.jobs.enqueue(
      'maintenance',
      deleted.map((ref) => ({ ...ref, task: 'purge' as const })),
    );
    const disabled = await deps.dueWork.disabledWithExpired(500);
    await deps.jobs.enqueue(
      'maintenance',
      disabled.map((ref) => ({ ...ref, task: 'expire' as const })),
    );
    const regrouping = await deps.dueWork.regrouping(500);
    await deps.jobs.enqueue(
      'maintenance',
      regrouping.map((ref) => ({ ...ref, task: 'regroup' as const })),
    );
    const running = await deps.replays.listRunning();
    // Deduplicated per replay: a replay whose job waits or runs is left alone, a lost or failed one starts again.
    await deps.jobs.enqueue(
      'dlqReplay',
      running.map((replayId) => ({ replayId })),
    );
    const result = {
      tenants: tenants.length,
      purges: deleted.length,
      expiries: disabled.length,
      regroups: regrouping.length,
      replays: running.length,
    };
    if (deleted.length + disabled.length > 0) deps.logger.info(result, 'sweeper found backlogs to move to the DLQ');
    return result;
  }

  // First pass soon after start: a restarted worker repairs a lost Redis at once.
  const task = createPeriodicTask({
    name: 'sweep',
    run: sweepOnce,
    intervalMs: options.intervalMs,
    firstRunMs: Math.min(options.intervalMs, 1_000),
    logger: deps.logger,
  });
  return { sweepOnce, start: task.start, stop: task.stop };
}
