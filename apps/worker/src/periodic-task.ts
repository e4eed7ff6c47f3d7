import type { Logger } from '@sluice/logger/logger';

/**
 * A piece of maintenance run every `intervalMs` (the next pass starts only after the last one
 * ended), its failures logged and retried at the next pass. Tests call `runOnce` directly.
 */
export interface PeriodicTask<T> {
  runOnce(): Promise<T>;
  start(): void;
  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void>;
}

export function createPeriodicTask<T>(deps: {
  name: string;
  intervalMs: number;
  /** The first pass, soon after start by default: a restarted worker catches up at once. */
  firstRunMs?: number;
  run: () => Promise<T>;
  logger: Logger;
}): PeriodicTask<T> {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;

  const tick = () => {
    running = deps
      .run()
      .catch((error: unknown) => deps.logger.warn({ err: error, task: deps.name }, `${deps.name} failed; trying again`))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, deps.intervalMs);
      });
  };

  return {
    runOnce: deps.run,
    start() {
      stopped = false;
      timer = setTimeout(tick, deps.firstRunMs ?? Math.min(deps.intervalMs, 5_000));
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
