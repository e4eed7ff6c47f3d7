/**
 * Which API keys were used, recorded in batches: each process notes the keys its requests
 * authenticated with and writes them once every `intervalMs` (one statement for all of them),
 * so `lastUsedAt` costs ingest nothing per request. It is accurate to about that interval.
 */
export function createKeyUsageRecorder(deps: {
  record: (keyIds: string[]) => Promise<void>;
  onError: (error: unknown) => void;
  intervalMs?: number;
}) {
  let used = new Set<string>();
  let writing: Promise<void> = Promise.resolve();

  function flush(): Promise<void> {
    if (used.size === 0) return writing;
    const keyIds = [...used];
    used = new Set();
    writing = writing.then(() => deps.record(keyIds)).catch(deps.onError);
    return writing;
  }

  const timer = setInterval(() => void flush(), deps.intervalMs ?? 30_000);
  timer.unref();

  return {
    note(keyId: string): void {
      used.add(keyId);
    },
    /** Writes what is noted and stops (at shutdown). */
    async stop(): Promise<void> {
      clearInterval(timer);
      await flush();
    },
  };
}

export type KeyUsageRecorder = ReturnType<typeof createKeyUsageRecorder>;
