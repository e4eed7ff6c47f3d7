import type { Logger } from '@sluice/logger/logger';

/**
 * Tells this API process what other processes changed: keys revoked and tenant limits set.
 * One small query (accessChangesSince) about three times a second keeps the caches on the
 * request path honest without a lookup per request, and without depending on Redis.
 */
export interface AccessChanges {
  now: Date;
  revokedKeyIds: string[];
  limitsChangedFor: string[];
}

const INTERVAL_MS = 300;
// The poll is current while its last success is this recent; caches trust less otherwise.
const CURRENT_FOR_MS = 900;
// A change is read again for this long: a transaction stamps now() when it starts and may
// commit a little later, after a poll that already looked past that time.
const OVERLAP_MS = 5_000;
const LOG_EVERY_MS = 30_000;

export function startAccessChangePoller(deps: {
  changesSince(since: Date | null): Promise<AccessChanges>;
  onKeysRevoked(keyIds: string[]): void;
  onLimitsChanged(tenantIds: string[]): void;
  logger: Logger;
}) {
  let since: Date | null = null;
  let lastSuccessAt = 0;
  let lastLoggedAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function pollOnce(): Promise<void> {
    try {
      const changes = await deps.changesSince(since && new Date(since.getTime() - OVERLAP_MS));
      since = changes.now;
      lastSuccessAt = Date.now();
      if (changes.revokedKeyIds.length > 0) deps.onKeysRevoked(changes.revokedKeyIds);
      if (changes.limitsChangedFor.length > 0) deps.onLimitsChanged(changes.limitsChangedFor);
    } catch (error) {
      if (Date.now() - lastLoggedAt > LOG_EVERY_MS) {
        lastLoggedAt = Date.now();
        deps.logger.warn(
          { err: error },
          'cannot read revocations and limit changes; trusting cached keys for 1 s only',
        );
      }
    }
  }

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void pollOnce().finally(schedule), INTERVAL_MS);
    timer.unref();
  };
  void pollOnce().finally(schedule);

  return {
    isCurrent: () => Date.now() - lastSuccessAt < CURRENT_FOR_MS,
    pollOnce,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

export type AccessChangePoller = ReturnType<typeof startAccessChangePoller>;
