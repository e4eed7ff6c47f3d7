/**
 * A task run every `intervalMs`, one run at a time (the next is scheduled when one ends);
 * stop() waits for a run in progress.
 */
export function createTimer(options: {
  run: () => Promise<unknown>;
  intervalMs: number;
  firstAfterMs?: number;
  onError: (error: unknown) => void;
}) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;

  const tick = () => {
    running = options
      .run()
      .catch(options.onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.intervalMs);
      });
  };

  return {
    start() {
      stopped = false;
      timer = setTimeout(tick, options.firstAfterMs ?? options.intervalMs);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
