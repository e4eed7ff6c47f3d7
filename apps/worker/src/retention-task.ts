import type { DatabaseHandle } from '@sluice/db/client';
import { type Retention, whileHoldingRetentionLock } from '@sluice/db/repositories/retention';
import {
  purgeAuditPastRetention,
  purgeEventsPastRetention,
  type RetentionPurgeOptions,
} from '@sluice/delivery/retention-purge';
import type { Logger } from '@sluice/logger/logger';
import { createPeriodicTask } from './periodic-task.ts';

/**
 * Retention (API.md): every `intervalMs`, one worker (the one that gets the advisory lock; the
 * others skip the pass) deletes events past RETENTION_DAYS whose deliveries are all finished, and
 * audit rows past AUDIT_RETENTION_DAYS, in paced batches until a batch is short. A pass stops
 * when the worker does; the next pass, here or on another worker, picks up where it left.
 */

export interface RetentionOptions extends RetentionPurgeOptions {
  retentionDays: number;
  auditRetentionDays: number;
  intervalMs: number;
  firstRunMs: number;
}

export const defaultRetentionOptions: Omit<RetentionOptions, keyof RetentionPurgeOptions> = {
  retentionDays: 30,
  auditRetentionDays: 365,
  intervalMs: 10 * 60_000,
  firstRunMs: 5_000,
};

export interface RetentionPass {
  /** False when another worker was running a pass. */
  ran: boolean;
  events: number;
  auditRows: number;
  complete: boolean;
}

const DAY_MS = 86_400_000;

export function createRetentionTask(deps: {
  database: Pick<DatabaseHandle, 'pool'>;
  retention: Pick<Retention, 'purgeOnce' | 'purgeAuditOnce'>;
  logger: Logger;
  isStopping: () => boolean;
  options?: Partial<RetentionOptions>;
}) {
  const { retentionDays, auditRetentionDays, intervalMs, firstRunMs, ...purge } = {
    ...defaultRetentionOptions,
    ...deps.options,
  };

  async function purgeOnce(): Promise<RetentionPass> {
    const pass = await whileHoldingRetentionLock(deps.database.pool, async () => {
      const now = Date.now();
      const events = await purgeEventsPastRetention({
        retention: deps.retention,
        olderThan: new Date(now - retentionDays * DAY_MS),
        options: purge,
        shouldStop: deps.isStopping,
      });
      const auditRows = await purgeAuditPastRetention({
        retention: deps.retention,
        olderThan: new Date(now - auditRetentionDays * DAY_MS),
        options: purge,
        shouldStop: deps.isStopping,
      });
      return { ran: true, events: events.events, auditRows, complete: events.complete };
    });
    const result = pass ?? { ran: false, events: 0, auditRows: 0, complete: false };
    if (result.events + result.auditRows > 0) {
      deps.logger.info({ ...result, retentionDays, auditRetentionDays }, 'retention: deleted what was past it');
    }
    return result;
  }

  return createPeriodicTask({ name: 'retention', intervalMs, firstRunMs, run: purgeOnce, logger: deps.logger });
}
