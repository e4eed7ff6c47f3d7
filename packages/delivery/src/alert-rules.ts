import type { AlertRule } from '@sluice/contracts/alerts';

/**
 * When an alert opens and when it resolves: functions of what was measured, the threshold, the
 * clock and the alert's own memory, and nothing else (tested with a table).
 *
 * Hysteresis, so that a value hovering at its threshold does not flap:
 * - in level: a count or an age opens above its threshold and resolves only at or below 80% of it
 *   (10 dead letters open it, 8 clear it); a failing destination resolves only after it has been
 *   out of `failing` for a fifth of the rule's time (a minute for the default five);
 * - in time: a rule opens only when it has read crossed for `confirmMs` (two evaluations), so a
 *   passing spike (an old dead letter replayed and delivered within seconds) opens nothing.
 */

/** What the evaluator knows of one destination now. */
export interface DestinationReading {
  /** Sending now: not paused, not disabled (a paused backlog ages by the owner's choice). */
  active: boolean;
  dlqOpen: number;
  oldestPendingAt: Date | null;
  health: { state: 'healthy' | 'throttled' | 'failing'; since: Date } | null;
}

export interface RuleReading {
  /** Entries or seconds, as the alert reports it. */
  value: number;
  crossed: boolean;
  cleared: boolean;
}

const clearLevel = (threshold: number) => Math.floor(threshold * 0.8);
const seconds = (fromMs: number, toMs: number) => Math.max(0, Math.round((toMs - fromMs) / 1000));

/** The rule's reading, or null when it cannot be judged now (a paused destination's age or failing). */
export function readRule(
  rule: AlertRule,
  threshold: number,
  reading: DestinationReading,
  now: Date,
): RuleReading | null {
  if (rule === 'dlqOpenAbove') {
    return {
      value: reading.dlqOpen,
      crossed: reading.dlqOpen > threshold,
      cleared: reading.dlqOpen <= clearLevel(threshold),
    };
  }
  if (!reading.active) return null;
  if (rule === 'oldestPendingSecondsAbove') {
    const value = reading.oldestPendingAt ? seconds(reading.oldestPendingAt.getTime(), now.getTime()) : 0;
    return { value, crossed: value > threshold, cleared: value <= clearLevel(threshold) };
  }
  const { health } = reading;
  if (health?.state === 'failing') {
    const value = seconds(health.since.getTime(), now.getTime());
    return { value, crossed: value > threshold, cleared: false };
  }
  const calmSeconds = health ? seconds(health.since.getTime(), now.getTime()) : Number.POSITIVE_INFINITY;
  return { value: 0, crossed: false, cleared: calmSeconds >= Math.ceil(threshold / 5) };
}

export type AlertDecision = { kind: 'open'; value: number } | { kind: 'resolve'; value: number } | { kind: 'none' };

/**
 * What to do about one rule of one destination. `crossedSince` is when this process first saw it
 * crossed (its memory between evaluations); the answer carries the memory to keep.
 */
export function decideAlert(input: {
  reading: RuleReading | null;
  isOpen: boolean;
  crossedSince: number | undefined;
  now: Date;
  confirmMs: number;
}): { decision: AlertDecision; crossedSince: number | undefined } {
  const { reading, isOpen, now } = input;
  if (!reading) return { decision: { kind: 'none' }, crossedSince: input.crossedSince };
  if (isOpen) {
    return {
      decision: reading.cleared ? { kind: 'resolve', value: reading.value } : { kind: 'none' },
      crossedSince: undefined,
    };
  }
  if (!reading.crossed) return { decision: { kind: 'none' }, crossedSince: undefined };
  const since = input.crossedSince ?? now.getTime();
  if (now.getTime() - since < input.confirmMs) return { decision: { kind: 'none' }, crossedSince: since };
  return { decision: { kind: 'open', value: reading.value }, crossedSince: undefined };
}
