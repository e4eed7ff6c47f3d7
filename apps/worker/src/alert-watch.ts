import type { AlertEvaluator } from '@sluice/delivery/alert-evaluator';
import type { Logger } from '@sluice/logger/logger';
import { createTimer } from './timer.ts';

/**
 * Every few seconds, evaluates the alert rules of the destinations with something outstanding.
 * Every worker process runs it: the alerts' unique index and the events' idempotency keys make
 * each state emitted once whoever sees it first, so there is nothing to elect.
 */
export function createAlertWatch(deps: {
  evaluator: Pick<AlertEvaluator, 'evaluateOnce'>;
  logger: Logger;
  intervalMs?: number;
}) {
  const timer = createTimer({
    run: deps.evaluator.evaluateOnce,
    intervalMs: deps.intervalMs ?? 5_000,
    onError: (error) => deps.logger.warn({ err: error }, 'alert evaluation failed; trying again next interval'),
  });
  return { start: timer.start, stop: timer.stop };
}
