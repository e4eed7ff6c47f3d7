import { describe, expect, it } from 'vitest';
import { createTenantShares } from '../src/tenant-shares.ts';

/** Takes slots for a tenant until its share refuses one; answers how many it got. */
function fill(shares: ReturnType<typeof createTenantShares>, tenantId: string, upTo = 100): number {
  let taken = 0;
  while (taken < upTo && shares.tryTake(tenantId)) taken += 1;
  return taken;
}

describe('tenant shares of a worker’s slots', () => {
  it('lets a lone tenant use every slot but the reserve', () => {
    const shares = createTenantShares(16, { reserve: 2 });
    expect(fill(shares, 'a')).toBe(14);
    expect(shares.overShare('a')).toBe(false);
  });

  it('always admits a tenant holding nothing, then shrinks the big one to what is left', () => {
    const shares = createTenantShares(16, { reserve: 2 });
    fill(shares, 'a');
    expect(shares.tryTake('b')).toBeDefined();
    // b holds 1 and needs no more than it took: a may keep 13, so one of its 14 runs ends.
    expect(shares.overShare('a')).toBe(true);
    expect(shares.overShare('b')).toBe(false);
    expect(shares.tryTake('c')).toBeDefined();
    expect(shares.held().get('a')).toBe(14);
  });

  it('splits the slots evenly between tenants that all want more', () => {
    const shares = createTenantShares(16, { reserve: 2 });
    const first = fill(shares, 'a', 7);
    expect(first).toBe(7);
    expect(fill(shares, 'b')).toBe(7);
    expect(shares.tryTake('a')).toBeUndefined();
    expect(shares.overShare('a')).toBe(false);
  });

  it('marks a tenant contended once one of its jobs was refused, until it holds nothing', () => {
    const shares = createTenantShares(4, { reserve: 1, perTenant: 2 });
    const releases = [shares.tryTake('a'), shares.tryTake('a')];
    expect(shares.contended('a')).toBe(false);
    expect(shares.tryTake('a')).toBeUndefined();
    expect(shares.contended('a')).toBe(true);
    expect(shares.contended('b')).toBe(false);
    for (const release of releases) release?.();
    expect(shares.contended('a')).toBe(false);
  });

  it('keeps a lone tenant to its own cap', () => {
    const shares = createTenantShares(16, { reserve: 2, perTenant: 4 });
    expect(fill(shares, 'a')).toBe(4);
    expect(fill(shares, 'b')).toBe(4);
  });

  it('gives a released slot back to its tenant’s count', () => {
    const shares = createTenantShares(4, { reserve: 1 });
    const releases = [shares.tryTake('a'), shares.tryTake('a'), shares.tryTake('a')];
    expect(shares.tryTake('a')).toBeUndefined();
    releases[0]?.();
    releases[0]?.(); // twice is once
    expect(shares.held().get('a')).toBe(2);
    releases[1]?.();
    releases[2]?.();
    expect(shares.held().has('a')).toBe(false);
  });
});
