import type { ErrorCategory } from '@sluice/destinations/error-classification';
import { failureOf } from '@sluice/destinations/error-classification';
import type { DeliveryOutcome } from '@sluice/destinations/types';
import { describe, expect, it } from 'vitest';
import { decideOutcome, decideUnusable } from '../src/outcome-decision.ts';
import { RETRY_CAP_MS } from '../src/retry-policy.ts';

const now = new Date('2026-11-27T12:00:00.000Z');
const inADay = new Date(now.getTime() + 86_400_000);
const fresh = { attempts: 0, retryBase: 0, expiresAt: inADay };
const failed = (category: ErrorCategory, code = 'Code'): DeliveryOutcome => ({
  deliveryId: 'd1',
  ok: false,
  failure: failureOf(category, code, `${code} happened`),
});
const half = () => 0.5;

describe('decideOutcome', () => {
  it('delivered keeps the provider message id', () => {
    expect(
      decideOutcome(fresh, { deliveryId: 'd1', ok: true, providerMessageId: 'm-1' }, { maxAttempts: null }, now),
    ).toEqual({
      kind: 'delivered',
      providerMessageId: 'm-1',
    });
  });

  it.each<[ErrorCategory, 'retry' | 'dead', string | undefined]>([
    ['throttled', 'retry', undefined],
    ['expired_credentials', 'retry', undefined],
    ['server_error', 'retry', undefined],
    ['network', 'retry', undefined],
    ['unknown', 'retry', undefined],
    ['batch_too_large', 'retry', undefined],
    ['transform_deferred', 'retry', undefined],
    ['too_large', 'dead', 'payload_too_large'],
    ['transform_failed', 'dead', 'transform_failed'],
    ['access_denied', 'dead', 'permanent_error'],
    ['invalid_credentials', 'dead', 'permanent_error'],
    ['not_found', 'dead', 'permanent_error'],
    ['kms', 'dead', 'permanent_error'],
    ['invalid_request', 'dead', 'permanent_error'],
    ['unknown_client_error', 'dead', 'permanent_error'],
  ])('%s: %s %s', (category, kind, reason) => {
    const decision = decideOutcome(fresh, failed(category), { maxAttempts: null }, now, half);
    expect(decision.kind).toBe(kind);
    if (decision.kind === 'dead') expect(decision.reason).toBe(reason);
    if (decision.kind !== 'delivered')
      expect(decision.error).toEqual({ code: 'Code', message: 'Code happened', at: now.toISOString() });
  });

  it('backs off exponentially with jitter, capped at three minutes', () => {
    const after = (attempts: number) => {
      const decision = decideOutcome(
        { ...fresh, attempts },
        failed('server_error'),
        { maxAttempts: null },
        now,
        () => 0.999,
      );
      return decision.kind === 'retry' ? decision.nextAttemptAt.getTime() - now.getTime() : Number.NaN;
    };
    expect(after(0)).toBeLessThanOrEqual(1_000);
    expect(after(3)).toBeGreaterThan(after(1));
    expect(after(30)).toBeLessThanOrEqual(RETRY_CAP_MS);
    expect(after(30)).toBeGreaterThan(RETRY_CAP_MS * 0.9);
  });

  it('is dead with retries_exhausted at maxAttempts, counted from the last replay', () => {
    const limits = { maxAttempts: 3 };
    expect(decideOutcome({ ...fresh, attempts: 1 }, failed('network'), limits, now, half).kind).toBe('retry');
    expect(decideOutcome({ ...fresh, attempts: 2 }, failed('network'), limits, now, half)).toMatchObject({
      kind: 'dead',
      reason: 'retries_exhausted',
    });
    // Replayed after 5 attempts: a fresh round of 3.
    expect(decideOutcome({ ...fresh, attempts: 6, retryBase: 5 }, failed('network'), limits, now, half).kind).toBe(
      'retry',
    );
  });

  it('retries a throttled message within a second, uncounted against maxAttempts, inside its retry window', () => {
    const limits = { maxAttempts: 3 };
    // Throttled 40 times already (all uncounted: retryBase moved with them), and still tried again soon.
    const decision = decideOutcome(
      { ...fresh, attempts: 40, retryBase: 40 },
      failed('throttled'),
      limits,
      now,
      () => 0.999,
    );
    expect(decision).toMatchObject({ kind: 'retry', uncounted: true });
    if (decision.kind === 'retry') expect(decision.nextAttemptAt.getTime() - now.getTime()).toBeLessThanOrEqual(1_000);
    // The budget is the same as before the throttling: two counted failures still leave a third.
    const afterTwo = { ...fresh, attempts: 42, retryBase: 40 };
    expect(decideOutcome(afterTwo, failed('throttled'), limits, now, half).kind).toBe('retry');
    expect(decideOutcome(afterTwo, failed('server_error'), limits, now, half)).toMatchObject({
      kind: 'dead',
      reason: 'retries_exhausted',
    });
    // Other transient failures count.
    expect(decideOutcome(fresh, failed('server_error'), limits, now, half)).not.toHaveProperty('uncounted');
    // The retry window still ends it.
    const closing = { ...fresh, expiresAt: new Date(now.getTime() + 10) };
    expect(decideOutcome(closing, failed('throttled'), limits, now, half)).toMatchObject({
      kind: 'dead',
      reason: 'retries_exhausted',
    });
  });

  it('is dead with retries_exhausted when the next try would fall past the retry window', () => {
    const closing = { ...fresh, attempts: 4, expiresAt: new Date(now.getTime() + 10) };
    expect(decideOutcome(closing, failed('server_error'), { maxAttempts: null }, now, half)).toMatchObject({
      kind: 'dead',
      reason: 'retries_exhausted',
    });
  });
});

describe('decideUnusable', () => {
  const error = { code: 'destination_unusable', message: 'x', at: now.toISOString() };
  it('holds a delivery inside its window and kills one past it, without counting an attempt', () => {
    expect(decideUnusable({ expiresAt: inADay }, error, now)).toEqual({ kind: 'release' });
    expect(decideUnusable({ expiresAt: now }, error, now)).toEqual({
      kind: 'dead',
      error,
      reason: 'retries_exhausted',
    });
  });
});
