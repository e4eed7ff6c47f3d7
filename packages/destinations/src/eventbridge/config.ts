import { z } from 'zod';
import {
  configObject,
  type NamedArnParts,
  type NamedArnRule,
  type Problem,
  parseNamedArn,
  regionOfArn,
} from '../aws-identifiers.ts';
import { fieldPathSchema } from '../event-fields.ts';
import type { ConfigContext } from '../types.ts';

export interface EventBridgeConfig {
  eventBusArn: string;
  region: string;
  /** PutEvents' Source; absent: the event's own `source`. */
  source?: string;
  /** The event field whose value is PutEvents' DetailType (missing in an event: its eventType). */
  detailTypeField: string;
}

export type EventBusParts = NamedArnParts;

export const EVENT_BUS_ARN_FORMAT = 'arn:aws:events:<region>:<12-digit account>:event-bus/<name>';
const EVENT_BUS_ARN: NamedArnRule = {
  field: 'eventBusArn',
  service: 'events',
  resourcePrefix: 'event-bus/',
  kind: 'an EventBridge event bus ARN',
  format: EVENT_BUS_ARN_FORMAT,
  noun: 'event bus',
  // Custom event buses: letters, digits, . - _ (partner buses, with a /, do not take PutEvents).
  name: /^[A-Za-z0-9._-]{1,256}$/,
  nameRule: 'an event bus name is 1 to 256 letters, digits, periods, hyphens or underscores',
};
const MAX_SOURCE_CHARS = 256;

export const parseEventBusArn = (value: string, allowEmulator: boolean): EventBusParts | Problem[] =>
  parseNamedArn(value, EVENT_BUS_ARN, allowEmulator);

export function eventBusParts(config: EventBridgeConfig): EventBusParts {
  const parsed = parseEventBusArn(config.eventBusArn, true);
  if (Array.isArray(parsed))
    throw new Error(`EventBridge config holds an invalid event bus ARN: ${parsed[0]?.message}`);
  return parsed;
}

const sourceSchema = z
  .string({ error: 'source must be a string such as com.example.billing' })
  .min(1, 'source must not be empty')
  .max(MAX_SOURCE_CHARS, `source must be at most ${MAX_SOURCE_CHARS} characters`)
  .regex(/^[^\p{C}]+$/u, 'source must contain only printable characters')
  // AWS keeps sources that start with aws. for its own services: PutEvents refuses them.
  .refine((source) => !source.toLowerCase().startsWith('aws.'), {
    error: 'sources starting with "aws." are reserved for AWS services; choose another, e.g. com.example.billing',
  });

export function eventBridgeConfigSchema(ctx: ConfigContext): z.ZodType<EventBridgeConfig, unknown> {
  const allowEmulator = Boolean(ctx.endpointOverride);
  return configObject(
    {
      eventBusArn: z.string({ error: `eventBusArn is required: ${EVENT_BUS_ARN_FORMAT}` }),
      region: z.string({ error: 'region must be a string such as us-east-1' }).optional(),
      source: sourceSchema.optional(),
      detailTypeField: fieldPathSchema.optional(),
    },
    'an EventBridge destination',
  ).transform((input, refinement): EventBridgeConfig => {
    const parts = parseEventBusArn(input.eventBusArn, allowEmulator);
    const region = regionOfArn(refinement, parts, input.region, 'event bus ARN');
    if (region === null) return z.NEVER;
    return {
      eventBusArn: input.eventBusArn,
      region,
      ...(input.source !== undefined ? { source: input.source } : {}),
      detailTypeField: input.detailTypeField ?? 'eventType',
    };
  });
}
