import { z } from 'zod';
import { idFilterSchema, idSchema, timestampSchema } from './common.ts';

export const deliveryStatusSchema = z.enum(['pending', 'delivered', 'dead', 'discarded']);

const lastErrorSchema = z.object({ code: z.string(), message: z.string(), at: timestampSchema }).nullable();

export const deliverySchema = z
  .object({
    id: idSchema,
    eventId: idSchema,
    destinationId: idSchema,
    status: deliveryStatusSchema,
    attempts: z.number().int(),
    lastError: lastErrorSchema,
    deliveredAt: timestampSchema.nullable(),
    nextAttemptAt: timestampSchema.nullable().meta({ description: 'When the next try is due; null once final' }),
    providerMessageId: z.string().nullable(),
    createdAt: timestampSchema,
  })
  .meta({ id: 'Delivery' });

export const attemptSchema = z.object({
  n: z.number().int(),
  at: timestampSchema,
  durationMs: z.number().int(),
  outcome: z.enum(['delivered', 'transient_error', 'permanent_error']),
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
  providerMessageId: z.string().optional(),
});

export const deliveryWithAttemptsSchema = deliverySchema.extend({ attemptLog: z.array(attemptSchema) });

export const deliveryListQuerySchema = z.object({
  destinationId: idFilterSchema.optional(),
  eventId: idFilterSchema.optional(),
  status: deliveryStatusSchema.optional(),
});
