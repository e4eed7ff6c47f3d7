import { z } from 'zod';
import { idFilterSchema, idSchema, timestampSchema } from './common.ts';
import { attemptSchema } from './deliveries.ts';
import { eventSchema } from './events.ts';

export const dlqReasonSchema = z.enum([
  'permanent_error',
  'retries_exhausted',
  'payload_too_large',
  'destination_deleted',
  'transform_failed',
]);

export type DlqReason = z.infer<typeof dlqReasonSchema>;

export const dlqFiltersSchema = z.object({
  destinationId: idFilterSchema.optional(),
  customerExternalId: z.string().min(1).max(256).optional(),
  eventType: z.string().min(1).max(128).optional(),
  reason: dlqReasonSchema.optional(),
  from: z.iso.datetime({ offset: true }).optional().meta({ description: 'Entries created at or after' }),
  to: z.iso.datetime({ offset: true }).optional().meta({ description: 'Entries created at or before' }),
  // A string in the body too, so the list's query and a bulk replay's body read the same.
  holdsGroup: z.enum(['true', 'false']).optional().meta({
    description: 'true: only entries that hold their FIFO group (fifo.onDeadLetter "hold"); false: only the others',
  }),
});

/** The operator may narrow any DLQ call to one tenant. */
export const operatorDlqFiltersSchema = dlqFiltersSchema.extend({
  tenantId: z.uuid({ error: 'must be a tenant id' }).optional(),
});

export const dlqEntrySchema = z
  .object({
    id: idSchema,
    deliveryId: idSchema,
    eventId: idSchema,
    destinationId: idSchema,
    tenantId: idSchema,
    customerExternalId: z.string(),
    eventType: z.string(),
    reason: dlqReasonSchema,
    lastError: z.object({ code: z.string(), message: z.string(), at: timestampSchema }).nullable(),
    attempts: z.number().int(),
    state: z.enum(['open', 'replaying', 'resolved', 'discarded']).meta({
      description: 'open: in the list · replaying: delivery under way · resolved: delivered by a replay · discarded',
    }),
    createdAt: timestampSchema,
    replayCount: z.number().int(),
    holdsGroup: z.boolean().meta({
      description:
        'The dead message holds its FIFO group (fifo.onDeadLetter "hold"): the group waits until this entry is ' +
        'replayed (sent first, in its original turn) or discarded',
    }),
    waitingBehind: z
      .number()
      .int()
      .meta({ description: 'How many messages of the group wait behind this entry (0 unless holdsGroup)' }),
  })
  .meta({ id: 'DlqEntry' });

export const dlqEntryDetailSchema = dlqEntrySchema.extend({
  event: eventSchema,
  attemptLog: z.array(attemptSchema),
});

export const replayAcceptedSchema = z.object({ deliveryId: idSchema });
export const bulkReplayAcceptedSchema = z.object({ replayId: idSchema, total: z.number().int() });
export const bulkReplaySchema = z
  .object({
    replayId: idSchema,
    status: z.enum(['running', 'done']),
    total: z.number().int(),
    replayed: z.number().int().meta({ description: 'Entries put back in line for delivery' }),
    failed: z
      .number()
      .int()
      .meta({ description: 'Entries that could not be replayed (destination gone or disabled, entry no longer open)' }),
  })
  .meta({ id: 'DlqReplay' });
