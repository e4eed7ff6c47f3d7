import { z } from 'zod';
import {
  accountProblem,
  configObject,
  type Problem,
  parseArn,
  regionProblem,
  report,
  resolveRegion,
} from '../aws-identifiers.ts';
import { fieldPathSchema } from '../event-fields.ts';
import type { ConfigContext } from '../types.ts';

export interface KinesisConfig {
  streamArn: string;
  region: string;
  partitionKeyField: string;
}

export interface StreamParts {
  region: string;
  account: string;
  name: string;
}

export const STREAM_ARN_FORMAT = 'arn:aws:kinesis:<region>:<12-digit account>:stream/<name>';
const NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const NAME_RULE = 'a stream name is 1 to 128 letters, digits, hyphens, underscores or periods';

export function parseStreamArn(value: string, allowEmulator: boolean): StreamParts | Problem[] {
  const arn = parseArn(value);
  if (arn?.partition !== 'aws' || arn.service !== 'kinesis' || !arn.resource.startsWith('stream/')) {
    return [{ path: 'streamArn', message: `"${value}" is not a Kinesis stream ARN; expected ${STREAM_ARN_FORMAT}` }];
  }
  const problems: Problem[] = [];
  const regionIssue = regionProblem(arn.region);
  if (regionIssue) problems.push({ path: 'streamArn', message: `${regionIssue}; expected ${STREAM_ARN_FORMAT}` });
  const accountIssue = accountProblem(arn.account, allowEmulator);
  if (accountIssue) problems.push({ path: 'streamArn', message: `${accountIssue}; expected ${STREAM_ARN_FORMAT}` });
  const name = arn.resource.slice('stream/'.length);
  if (!NAME.test(name))
    problems.push({ path: 'streamArn', message: `"${name}" is not a valid stream name: ${NAME_RULE}` });
  return problems.length > 0 ? problems : { region: arn.region, account: arn.account, name };
}

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
    const parts = parseStreamArn(input.streamArn, allowEmulator);
    if (Array.isArray(parts)) {
      report(refinement, parts);
      return z.NEVER;
    }
    const region = resolveRegion(parts.region, input.region, 'stream ARN');
    if ('problem' in region) {
      report(refinement, [region.problem]);
      return z.NEVER;
    }
    return {
      streamArn: input.streamArn,
      region: region.region,
      partitionKeyField: input.partitionKeyField ?? 'customerExternalId',
    };
  });
}
