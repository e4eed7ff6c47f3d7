/**
 * Wake-ups that cost one Redis call per key per window rather than one per event: each key
 * asked for in a window is sent once when the window ends. A wake-up is always sent after every
 * request for it, so work committed before the request is covered by the wake-up that follows.
 * Sending never blocks the caller; a wake-up lost to a Redis outage is made good by the sweeper.
 */
export function createWakeUps<T>(options: {
  keyOf: (item: T) => string;
  send: (items: T[]) => Promise<void>;
  onError: (error: unknown) => void;
  windowMs?: number;
}) {
  const windowMs = options.windowMs ?? 5;
  let pending = new Map<string, T>();
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  function flush() {
    timer = undefined;
    const items = [...pending.values()];
    pending = new Map();
    inFlight = options.send(items).catch(options.onError);
  }

  return {
    wake(item: T): void {
      pending.set(options.keyOf(item), item);
      timer ??= setTimeout(flush, windowMs);
    },
    /** Sends what is pending now (at shutdown). */
    async flush(): Promise<void> {
      if (timer) {
        clearTimeout(timer);
        flush();
      }
      await inFlight;
    },
  };
}

export type WakeUps<T> = ReturnType<typeof createWakeUps<T>>;
