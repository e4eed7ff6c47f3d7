import type { ErrorCategory } from '@sluice/destinations/error-classification';
import { failureOf } from '@sluice/destinations/error-classification';
import type { DeliveryOutcome } from '@sluice/destinations/types';
import { describe, expect, it } from 'vitest';
import { type DestinationReading, decideAlert, readRule } from '../src/alert-rules.ts';
import { healthOfRound } from '../src/destination-health.ts';

const now = new Date('2026-11-27T12:00:00.000Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);
const calm: DestinationReading = { active: true, dlqOpen: 0, oldestPendingAt: null, health: null };

describe('readRule', () => {
  it.each<[string, Partial<DestinationReading>, number, { value: number; crossed: boolean; cleared: boolean }]>([
    ['dead letters above the threshold', { dlqOpen: 11 }, 10, { value: 11, crossed: true, cleared: false }],
    ['dead letters at the threshold', { dlqOpen: 10 }, 10, { value: 10, crossed: false, cleared: false }],
    ['dead letters between 80% and the threshold', { dlqOpen: 9 }, 10, { value: 9, crossed: false, cleared: false }],
    ['dead letters at 80%', { dlqOpen: 8 }, 10, { value: 8, crossed: false, cleared: true }],
    ['any dead letter with threshold 0', { dlqOpen: 1 }, 0, { value: 1, crossed: true, cleared: false }],
    ['no dead letter with threshold 0', { dlqOpen: 0 }, 0, { value: 0, crossed: false, cleared: true }],
  ])('dlqOpenAbove: %s', (_, reading, threshold, expected) => {
    expect(readRule('dlqOpenAbove', threshold, { ...calm, ...reading }, now)).toEqual(expected);
  });

  it.each<[string, Partial<DestinationReading>, { value: number; crossed: boolean; cleared: boolean } | null]>([
    ['an old backlog', { oldestPendingAt: ago(901) }, { value: 901, crossed: true, cleared: false }],
    [
      'a backlog just under the threshold',
      { oldestPendingAt: ago(800) },
      { value: 800, crossed: false, cleared: false },
    ],
    ['a young backlog', { oldestPendingAt: ago(720) }, { value: 720, crossed: false, cleared: true }],
    ['no backlog', {}, { value: 0, crossed: false, cleared: true }],
    ['a paused destination', { active: false, oldestPendingAt: ago(5_000) }, null],
  ])('oldestPendingSecondsAbove 900: %s', (_, reading, expected) => {
    expect(readRule('oldestPendingSecondsAbove', 900, { ...calm, ...reading }, now)).toEqual(expected);
  });

  it.each<[string, DestinationReading['health'], { value: number; crossed: boolean; cleared: boolean }]>([
    ['failing for longer', { state: 'failing', since: ago(301) }, { value: 301, crossed: true, cleared: false }],
    ['failing for less', { state: 'failing', since: ago(100) }, { value: 100, crossed: false, cleared: false }],
    ['healthy for a minute', { state: 'healthy', since: ago(60) }, { value: 0, crossed: false, cleared: true }],
    ['healthy for seconds only', { state: 'healthy', since: ago(10) }, { value: 0, crossed: false, cleared: false }],
    ['throttled for a minute', { state: 'throttled', since: ago(60) }, { value: 0, crossed: false, cleared: true }],
    ['never seen', null, { value: 0, crossed: false, cleared: true }],
  ])('failingForSeconds 300: %s', (_, health, expected) => {
    expect(readRule('failingForSeconds', 300, { ...calm, health }, now)).toEqual(expected);
  });
});

describe('decideAlert', () => {
  const crossed = { value: 12, crossed: true, cleared: false };
  const hovering = { value: 9, crossed: false, cleared: false };
  const cleared = { value: 2, crossed: false, cleared: true };
  const at = (ms: number) => new Date(now.getTime() + ms);

  it('opens only once the rule has read crossed for the confirmation time', () => {
    const first = decideAlert({ reading: crossed, isOpen: false, crossedSince: undefined, now, confirmMs: 5_000 });
    expect(first).toEqual({ decision: { kind: 'none' }, crossedSince: now.getTime() });
    const early = decideAlert({
      reading: crossed,
      isOpen: false,
      crossedSince: now.getTime(),
      now: at(4_000),
      confirmMs: 5_000,
    });
    expect(early.decision).toEqual({ kind: 'none' });
    const confirmed = decideAlert({
      reading: crossed,
      isOpen: false,
      crossedSince: now.getTime(),
      now: at(5_000),
      confirmMs: 5_000,
    });
    expect(confirmed).toEqual({ decision: { kind: 'open', value: 12 }, crossedSince: undefined });
  });

  it('forgets a crossing that did not last', () => {
    expect(
      decideAlert({ reading: hovering, isOpen: false, crossedSince: now.getTime(), now: at(6_000), confirmMs: 5_000 }),
    ).toEqual({
      decision: { kind: 'none' },
      crossedSince: undefined,
    });
  });

  it('keeps an open alert open while the value hovers between the clear level and the threshold', () => {
    for (const reading of [crossed, hovering]) {
      expect(decideAlert({ reading, isOpen: true, crossedSince: undefined, now, confirmMs: 0 }).decision).toEqual({
        kind: 'none',
      });
    }
    expect(
      decideAlert({ reading: cleared, isOpen: true, crossedSince: undefined, now, confirmMs: 0 }).decision,
    ).toEqual({
      kind: 'resolve',
      value: 2,
    });
  });

  it('leaves everything as it is when the rule cannot be read (a paused destination)', () => {
    expect(decideAlert({ reading: null, isOpen: true, crossedSince: 42, now, confirmMs: 0 })).toEqual({
      decision: { kind: 'none' },
      crossedSince: 42,
    });
  });
});

describe('healthOfRound', () => {
  const ok: DeliveryOutcome = { deliveryId: 'd', ok: true };
  const failed = (category: ErrorCategory): DeliveryOutcome => ({
    deliveryId: 'd',
    ok: false,
    failure: failureOf(category, 'Code', `${category} happened`),
  });

  it.each<[string, DeliveryOutcome[], ReturnType<typeof healthOfRound>]>([
    ['all delivered', [ok, ok], { state: 'healthy', detail: null }],
    ['throttled', [ok, failed('throttled')], { state: 'throttled', detail: 'throttled happened' }],
    ['denied', [failed('access_denied')], { state: 'failing', detail: 'access_denied happened' }],
    ['denied after some went out', [ok, failed('not_found')], { state: 'failing', detail: 'not_found happened' }],
    ['unreachable, nothing delivered', [failed('network')], { state: 'failing', detail: 'network happened' }],
    ['one entry failed among deliveries', [ok, failed('server_error')], { state: 'healthy', detail: null }],
    ['only a message too large', [failed('too_large')], null],
    ['nothing', [], null],
  ])('%s', (_, outcomes, expected) => {
    expect(healthOfRound(outcomes)).toEqual(expected);
  });
});
