/**
 * Statements that lock several rows can meet another transaction locking some of the same rows
 * in another order: PostgreSQL then aborts one of them (deadlock, 40P01) or a serializable check
 * fails (40001). Nothing of the aborted statement was applied, so running it again is exactly
 * right. Sluice orders its multi-row locks (FIFO groups by ordering key) so this stays rare;
 * this is the backstop, because a drain whose outcomes fail to record leaves its claim held
 * until the lease ends, and a fan-out batch that fails is split to find a culprit it lacks.
 */
const CONFLICT_SQLSTATE = new Set(['40P01', '40001']);

export function isLockConflict(error: unknown): boolean {
  return error instanceof Error && 'code' in error && CONFLICT_SQLSTATE.has(String(error.code));
}

export async function retryOnLockConflict<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || !isLockConflict(error)) throw error;
      // A short random pause lets the transaction that won finish first.
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
    }
  }
}
