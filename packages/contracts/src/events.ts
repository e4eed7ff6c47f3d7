import { z } from 'zod';
import { idSchema, timestampSchema } from './common.ts';
import { isRawJsonNumber, type RawJsonNumber } from './lossless-json.ts';

// Anything but control, format and unassigned code points.
const printable = /^[^\p{C}]+$/u;
// JSON this deep is a mistake or an attack; PostgreSQL's jsonb parser would also stop near here.
export const MAX_PAYLOAD_DEPTH = 32;

function depthOf(value: unknown, depth = 0): number {
  if (depth > MAX_PAYLOAD_DEPTH || value === null || typeof value !== 'object' || isRawJsonNumber(value)) return depth;
  let deepest = depth + 1;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depthOf(child, depth + 1));
  return deepest;
}

// A number with more digits than a double holds, kept exactly by the request parser (lossless-json.ts).
const exactNumber = z
  .custom<RawJsonNumber>(isRawJsonNumber, 'must be a string, a number or a boolean')
  .meta({ override: { type: 'number' } });
// Documented as its three JSON types (the exact number is a number on the wire, not a fourth choice).
const metadataValue = z.union([z.string(), z.number(), exactNumber, z.boolean()]).meta({
  override: ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
    delete jsonSchema.anyOf;
    jsonSchema.type = ['string', 'number', 'boolean'];
  },
});
const metadataSchema = z
  .record(z.string(), metadataValue)
  .meta({ description: 'Flat object of string, number or boolean values; numbers keep every digit' });
export type EventMetadata = z.infer<typeof metadataSchema>;

const jsonObject = z
  .record(z.string(), z.unknown())
  .refine((value) => depthOf(value) <= MAX_PAYLOAD_DEPTH, `must nest at most ${MAX_PAYLOAD_DEPTH} levels deep`);

export const eventInputSchema = z
  .strictObject({
    eventType: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1 to 128 characters of A-Z, a-z, 0-9, ".", "_", ":" and "-"'),
    occurredAt: z.iso.datetime({
      offset: true,
      // Only for a malformed value: a missing one keeps the standard "is required".
      error: (issue) => (issue.code === 'invalid_format' ? 'must be an ISO 8601 date-time with an offset' : undefined),
    }),
    source: z.string().min(1).max(128),
    customerExternalId: z.string().min(1).max(256),
    idempotencyKey: z.string().min(1).max(256).regex(printable, 'must contain only printable characters'),
    correlationId: z.string().min(1).max(256).nullish(),
    payload: jsonObject.meta({ description: 'The event body: any JSON object; numbers keep every digit' }),
    metadata: metadataSchema.optional(),
  })
  .meta({ id: 'EventInput' });

export type EventInput = z.infer<typeof eventInputSchema>;

export const MAX_BATCH_EVENTS = 500;

export const eventBatchInputSchema = z.strictObject({
  // Items are validated one by one so a bad item rejects only itself.
  events: z
    .array(z.unknown())
    .min(1)
    .max(MAX_BATCH_EVENTS)
    .meta({ description: `1 to ${MAX_BATCH_EVENTS} events` }),
});

export const eventAcceptedSchema = z.object({
  id: idSchema,
  status: z.literal('accepted'),
  duplicate: z.boolean(),
});

export const batchResultSchema = z.object({
  results: z.array(
    z.object({
      index: z.number().int(),
      id: idSchema.optional(),
      status: z.enum(['accepted', 'duplicate', 'rejected']),
      errors: z.array(z.object({ path: z.string(), message: z.string(), code: z.string().optional() })).optional(),
    }),
  ),
});

export const eventDeliverySummarySchema = z.object({
  id: idSchema,
  destinationId: idSchema,
  status: z.enum(['pending', 'delivered', 'dead', 'discarded']),
});

/** The canonical event as clients read it; its key order is the order of the message body too. */
export const eventSchema = z
  .object({
    id: idSchema,
    eventType: z.string(),
    occurredAt: timestampSchema,
    source: z.string(),
    customerExternalId: z.string(),
    idempotencyKey: z.string(),
    correlationId: z.string().nullable(),
    payload: z.record(z.string(), z.unknown()),
    metadata: metadataSchema.nullable(),
    receivedAt: timestampSchema,
  })
  .meta({ id: 'Event' });

export type EventView = z.infer<typeof eventSchema>;

/**
 * The event exactly as it arrives at a destination (API.md, "What arrives at a destination"):
 * the same fields, with an absent correlationId or metadata left out rather than null.
 */
export const deliverableEventSchema = eventSchema.extend({
  correlationId: z.string().optional(),
  metadata: metadataSchema.optional(),
});

export type DeliverableEvent = z.infer<typeof deliverableEventSchema>;

export const EVENT_FIELDS = Object.keys(eventSchema.shape) as readonly (keyof EventView)[];

/** The view without nulls: what a destination receives. */
export function toDeliverableEvent({ correlationId, metadata, ...event }: EventView): DeliverableEvent {
  return {
    ...event,
    ...(correlationId !== null ? { correlationId } : {}),
    ...(metadata !== null ? { metadata } : {}),
  };
}

export const eventWithDeliveriesSchema = eventSchema.extend({ deliveries: z.array(eventDeliverySummarySchema) });

export const eventListQuerySchema = z.object({
  customerExternalId: z.string().min(1).max(256).optional(),
  eventType: z.string().min(1).max(128).optional(),
  idempotencyKey: z.string().min(1).max(256).optional().meta({ description: 'The event accepted with this key' }),
});
