import { z } from 'zod';
import { idFilterSchema, idSchema, timestampSchema } from './common.ts';

/**
 * Alerts a destination raises about itself, delivered as Sluice's own events
 * (`sluice.alert.opened`, `sluice.alert.resolved`) to the customer's other destinations.
 */

export const ALERT_RULES = ['dlqOpenAbove', 'oldestPendingSecondsAbove', 'failingForSeconds'] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

/** A destination's thresholds; null turns a rule off. */
export type AlertRules = Record<AlertRule, number | null>;

export const DEFAULT_ALERT_RULES: AlertRules = {
  dlqOpenAbove: 10,
  oldestPendingSecondsAbove: 900,
  failingForSeconds: 300,
};

/** What a destination stores: only the rules its owner set (a missing one takes the default). */
export type StoredAlertRules = Partial<AlertRules>;

export function resolveAlertRules(stored: StoredAlertRules | null | undefined): AlertRules {
  return { ...DEFAULT_ALERT_RULES, ...stored };
}

const WEEK_SECONDS = 7 * 24 * 3600;

export const alertRulesInputSchema = z
  .strictObject({
    dlqOpenAbove: z.number().int().min(0).max(1_000_000).nullable().optional().meta({
      description: 'Open dead-letter entries of this destination above this many (default 10)',
    }),
    oldestPendingSecondsAbove: z.number().int().min(1).max(WEEK_SECONDS).nullable().optional().meta({
      description: 'The oldest delivery waiting for this destination is older than this many seconds (default 900)',
    }),
    failingForSeconds: z.number().int().min(0).max(WEEK_SECONDS).nullable().optional().meta({
      description: 'The destination has been failing (health `failing`) for longer than this (default 300)',
    }),
  })
  .meta({
    id: 'AlertRulesInput',
    description:
      'Thresholds at which Sluice emits sluice.alert.opened about this destination (and sluice.alert.resolved ' +
      'once it clears). A missing rule keeps its current value (default on create); null turns it off.',
  });

export const alertRulesSchema = z
  .object({
    dlqOpenAbove: z.number().int().nullable(),
    oldestPendingSecondsAbove: z.number().int().nullable(),
    failingForSeconds: z.number().int().nullable(),
  })
  .meta({ id: 'AlertRules', description: 'The thresholds in force; null: the rule is off' });

export const alertSchema = z
  .object({
    id: idSchema,
    state: z.enum(['open', 'resolved']),
    destinationId: idSchema,
    destinationName: z.string(),
    customerExternalId: z.string(),
    rule: z.enum(ALERT_RULES),
    value: z.number().meta({ description: 'What was measured when the alert opened (entries or seconds)' }),
    threshold: z.number().int(),
    since: timestampSchema.meta({ description: 'When the alert opened' }),
    resolvedAt: timestampSchema.nullable(),
  })
  .meta({ id: 'Alert' });

export const alertListQuerySchema = z.object({
  destinationId: idFilterSchema.optional(),
  customerExternalId: z.string().min(1).max(256).optional(),
});

/** The payload of a `sluice.alert.opened` or `sluice.alert.resolved` event. */
export interface AlertEventPayload {
  destinationId: string;
  destinationName: string;
  rule: AlertRule;
  value: number;
  threshold: number;
  since: string;
  [field: string]: unknown;
}

export const ALERT_EVENT_SOURCE = 'sluice';
export const ALERT_EVENT_TYPES = { opened: 'sluice.alert.opened', resolved: 'sluice.alert.resolved' } as const;
