/**
 * Fair shares of one worker's job slots among tenants: max-min fairness by tenant, not by job.
 *
 * BullMQ (open source) serves a queue first in, first out, and a queue keyed by destination
 * (drains) or by replay gives a tenant with many destinations or replays as many turns as it
 * has of them. So each process counts the slots every tenant holds, and a job starts only
 * while its tenant holds less than its share:
 *
 * - A few slots (`reserve`) are kept free for a tenant that holds none, so a newcomer (a
 *   trickle of events, a one-entry replay) starts as soon as its job is reached, never
 *   behind another tenant's time budget.
 * - The rest is shared by water-filling: tenants holding less than an equal split keep what
 *   they hold (they need no more: their work is small), and the tenants above it split what
 *   is left. A lone tenant uses everything but the reserve, up to its cap (`perTenant`: the
 *   drains' DRAIN_SLOTS_PER_TENANT); two busy tenants get half each, within the same cap.
 * - A tenant above its share (another came) ends its runs at their next round; a job of a
 *   tenant at its share is put back a moment later, its slot going to the next job in line.
 *
 * Shares are per process: each process hands out its own slots, so nothing is coordinated.
 */
export interface TenantShares {
  /** Takes a slot if the tenant is within its share: answers how to give it back, or undefined. */
  tryTake(tenantId: string): (() => void) | undefined;
  /** True while the tenant holds more than its share: its runs stop at their next round. */
  overShare(tenantId: string): boolean;
  /**
   * True when a job of the tenant was refused a slot within the last second: its running jobs
   * then take shorter turns, so its own destinations (or replays) rotate through its share.
   */
  contended(tenantId: string): boolean;
  /** Slots each tenant holds now (for metrics and tests). */
  held(): ReadonlyMap<string, number>;
}

/** How long a refused job makes its tenant's running jobs take short turns. */
const CONTENDED_FOR_MS = 1_000;

export interface ShareLimits {
  /** Slots kept for a tenant that holds none. */
  reserve: number;
  /** The most one tenant may hold, even alone. */
  perTenant: number;
}

export function createTenantShares(slots: number, limits: Partial<ShareLimits> = {}): TenantShares {
  const reserve = limits.reserve ?? Math.max(1, Math.floor(slots / 8));
  const perTenant = limits.perTenant ?? slots;
  const holding = new Map<string, number>();
  const refusedAt = new Map<string, number>();
  const capacity = Math.max(1, slots - reserve);

  /** The most slots the tenant may hold, given what the others hold now. */
  function shareOf(tenantId: string): number {
    const others = [...holding]
      .filter(([other]) => other !== tenantId)
      .map(([, count]) => count)
      .sort((a, b) => a - b);
    let left = capacity;
    let sharing = others.length + 1;
    for (const count of others) {
      if (count >= left / sharing) break;
      left -= count;
      sharing -= 1;
    }
    return Math.max(1, Math.min(perTenant, Math.floor(left / sharing)));
  }

  return {
    tryTake(tenantId) {
      const held = holding.get(tenantId) ?? 0;
      if (held >= shareOf(tenantId)) {
        refusedAt.set(tenantId, Date.now());
        return undefined;
      }
      holding.set(tenantId, held + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (holding.get(tenantId) ?? 1) - 1;
        if (left > 0) holding.set(tenantId, left);
        else {
          holding.delete(tenantId);
          refusedAt.delete(tenantId);
        }
      };
    },
    overShare(tenantId) {
      return (holding.get(tenantId) ?? 0) > shareOf(tenantId);
    },
    contended(tenantId) {
      return Date.now() - (refusedAt.get(tenantId) ?? 0) < CONTENDED_FOR_MS;
    },
    held: () => holding,
  };
}
