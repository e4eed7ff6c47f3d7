import { z } from 'zod';
import { idFilterSchema, timestampSchema } from './common.ts';

const MAX_POINTS = 1_500;
const stepMs = { minute: 60_000, hour: 3_600_000 } as const;

export const statsQuerySchema = z
  .object({
    destinationId: idFilterSchema.optional(),
    customerExternalId: z.string().min(1).max(256).optional(),
    from: z.iso.datetime({ offset: true }).optional().meta({ description: 'Default: 60 intervals before `to`' }),
    to: z.iso.datetime({ offset: true }).optional().meta({ description: 'Default: now' }),
    interval: z.enum(['minute', 'hour']).default('minute'),
  })
  .superRefine((query, ctx) => {
    if (!query.from || !query.to) return;
    const span = Date.parse(query.to) - Date.parse(query.from);
    if (span <= 0) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before `to`' });
    else if (span / stepMs[query.interval] > MAX_POINTS) {
      ctx.addIssue({
        code: 'custom',
        path: ['from'],
        message: `is too far before \`to\`: at most ${MAX_POINTS} ${query.interval}s per request`,
      });
    }
  });

export type StatsQuery = z.infer<typeof statsQuerySchema>;

export const statsSchema = z
  .object({
    interval: z.enum(['minute', 'hour']),
    from: timestampSchema,
    to: timestampSchema,
    series: z.array(
      z.object({
        at: timestampSchema,
        delivered: z.number().int(),
        retried: z.number().int(),
        dead: z.number().int(),
        latencyP50Ms: z
          .number()
          .nullable()
          .meta({ description: 'Accept-to-delivery; null when nothing was delivered' }),
        latencyP99Ms: z.number().nullable(),
      }),
    ),
    pending: z.number().int().meta({ description: 'Deliveries waiting or retrying now (held ones included)' }),
    held: z.number().int().meta({
      description:
        'Of those, deliveries waiting behind a held FIFO group (fifo.onDeadLetter "hold") for a replay or discard',
    }),
    oldestPendingAt: timestampSchema.nullable(),
    dlqOpen: z.number().int().meta({ description: 'Open dead-letter entries now' }),
  })
  .meta({ id: 'Stats' });

export const statsStepMs = stepMs;
