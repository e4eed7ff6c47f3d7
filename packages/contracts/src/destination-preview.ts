import { z } from 'zod';
import { idSchema } from './common.ts';
import { eventInputSchema } from './events.ts';

/** POST /v1/destinations/{id}/preview: what one event would be sent as, without sending it. */

export const previewRequestSchema = z
  .strictObject({
    event: eventInputSchema
      .optional()
      .meta({ description: 'A canonical event, as POST /v1/events takes it; id and receivedAt are filled in' }),
    eventId: idSchema.optional().meta({ description: "An accepted event of the destination's customer" }),
  })
  .superRefine((body, ctx) => {
    if ((body.event === undefined) === (body.eventId === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'give exactly one of "event" (a canonical event) or "eventId"',
      });
    }
  })
  .meta({
    id: 'PreviewRequest',
    examples: [
      { eventId: '019a5c1e-7b2f-7c3e-9d41-1f2e3a4b5c6d' },
      {
        event: {
          eventType: 'order.completed',
          occurredAt: '2026-05-26T14:21:08.493Z',
          source: 'billing-service',
          customerExternalId: 'acct_8K2zRq',
          idempotencyKey: 'order_38a91f-completed',
          payload: { orderId: 'ord_38a91f', amount: 12900 },
        },
      },
    ],
  });

export type PreviewRequest = z.infer<typeof previewRequestSchema>;

export const previewResultSchema = z
  .union([
    z.object({
      body: z
        .string()
        .meta({ description: 'Exactly the message body (SQS/SNS Message, Kinesis Data, EventBridge Detail)' }),
      attributes: z.record(z.string(), z.string()).meta({
        description:
          'SQS and SNS: the String message attributes · EventBridge: Source, DetailType, Time, EventBusName · Kinesis: none',
      }),
      messageGroupId: z.string().optional(),
      messageDeduplicationId: z.string().optional(),
      partitionKey: z.string().optional(),
      bytes: z.number().int().meta({ description: 'The size the provider counts against its limit' }),
      maxBytes: z
        .number()
        .int()
        .meta({ description: "The destination's limit (its own MaximumMessageSize when known)" }),
      fits: z.boolean().meta({ description: 'false: it would be dead-lettered with reason payload_too_large' }),
    }),
    z.object({
      error: z.object({
        code: z.string().meta({ description: 'transform_failed' }),
        message: z.string(),
      }),
    }),
  ])
  .meta({
    id: 'PreviewResult',
    examples: [
      {
        body: '{"order":"ord_38a91f","cents":12900}',
        attributes: {
          eventType: 'order.completed',
          eventId: '019a5c1e-7b2f-7c3e-9d41-1f2e3a4b5c6d',
          source: 'billing-service',
          customerExternalId: 'acct_8K2zRq',
        },
        messageGroupId: 'acct_8K2zRq',
        messageDeduplicationId: 'order_38a91f-completed',
        bytes: 187,
        maxBytes: 1_048_576,
        fits: true,
      },
      {
        error: {
          code: 'transform_failed',
          message: 'The transform yielded nothing for this event.',
        },
      },
    ],
  });
