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

export interface KinesisConfig {
  streamArn: string;
  region: string;
  partitionKeyField: string;
}

export type StreamParts = NamedArnParts;

export const STREAM_ARN_FORMAT = 'arn:aws:kinesis:<region>:<12-digit account>:stream/<name>';
const STREAM_ARN: NamedArnRule = {
  field: 'streamArn',
  service: 'kinesis',
  resourcePrefix: 'stream/',
  kind: 'a Kinesis stream ARN',
  format: STREAM_ARN_FORMAT,
  noun: 'stream',
  name: /^[A-Za-z0-9_.-]{1,128}$/,
  nameRule: 'a stream name is 1 to 128 letters, digits, hyphens, underscores or periods',
};

export const parseStreamArn = (value: string, allowEmulator: boolean): StreamParts | Problem[] =>
  parseNamedArn(value, STREAM_ARN, allowEmulator);

export function streamParts(config: KinesisConfig): StreamParts {
  const parsed = parseStreamArn(config.streamArn, true);
  if (Array.isArray(parsed)) throw new Error(`Kinesis config holds an invalid stream ARN: ${parsed[0]?.message}`);
  return parsed;
}

export function kinesisConfigSchema(ctx: ConfigContext): z.ZodType<KinesisConfig, unknown> {
  const allowEmulator = Boolean(ctx.endpointOverride);
  return configObject(
    {
      streamArn: z.string({ error: `streamArn is required: ${STREAM_ARN_FORMAT}` }),
      region: z.string({ error: 'region must be a string such as us-east-1' }).optional(),
      partitionKeyField: fieldPathSchema.optional(),
    },
    'a Kinesis destination',
  ).transform((input, refinement): KinesisConfig => {
    const region = regionOfArn(refinement, parseStreamArn(input.streamArn, allowEmulator), input.region, 'stream ARN');
    if (region === null) return z.NEVER;
    return {
      streamArn: input.streamArn,
      region,
      partitionKeyField: input.partitionKeyField ?? 'customerExternalId',
    };
  });
}
