import { z } from 'zod';
import { accountProblem, configObject, type Problem, parseArn, regionProblem } from '../aws-identifiers.ts';
import { fieldPathSchema } from '../event-fields.ts';
import { fifoResourceFields } from '../fifo-resource-config.ts';
import type { ConfigContext } from '../types.ts';

export interface SnsConfig {
  topicArn: string;
  region: string;
  /** Set (default customerExternalId) exactly when the topic is FIFO. */
  messageGroupIdField?: string;
}

export interface TopicParts {
  region: string;
  account: string;
  name: string;
  fifo: boolean;
}

export const TOPIC_ARN_FORMAT = 'arn:aws:sns:<region>:<12-digit account>:<name>';
const NAME_RULE =
  'a topic name is 1 to 256 letters, digits, hyphens or underscores; a FIFO topic name ends in .fifo (within the 256)';
const STANDARD_NAME = /^[A-Za-z0-9_-]{1,256}$/;
const FIFO_NAME = /^[A-Za-z0-9_-]{1,251}\.fifo$/;

export function parseTopicArn(value: string, allowEmulator: boolean): TopicParts | Problem[] {
  const arn = parseArn(value);
  if (arn?.partition !== 'aws' || arn.service !== 'sns') {
    return [{ path: 'topicArn', message: `"${value}" is not an SNS topic ARN; expected ${TOPIC_ARN_FORMAT}` }];
  }
  const problems: Problem[] = [];
  const regionIssue = regionProblem(arn.region);
  if (regionIssue) problems.push({ path: 'topicArn', message: `${regionIssue}; expected ${TOPIC_ARN_FORMAT}` });
  const accountIssue = accountProblem(arn.account, allowEmulator);
  if (accountIssue) problems.push({ path: 'topicArn', message: `${accountIssue}; expected ${TOPIC_ARN_FORMAT}` });
  const name = arn.resource;
  const fifo = name.endsWith('.fifo');
  if (!(fifo ? FIFO_NAME : STANDARD_NAME).test(name)) {
    problems.push({ path: 'topicArn', message: `"${name}" is not a valid topic name: ${NAME_RULE}` });
  }
  return problems.length > 0 ? problems : { region: arn.region, account: arn.account, name, fifo };
}

export function topicParts(config: SnsConfig): TopicParts {
  const parsed = parseTopicArn(config.topicArn, true);
  if (Array.isArray(parsed)) throw new Error(`SNS config holds an invalid topic ARN: ${parsed[0]?.message}`);
  return parsed;
}

export function snsConfigSchema(ctx: ConfigContext): z.ZodType<SnsConfig, unknown> {
  const allowEmulator = Boolean(ctx.endpointOverride);
  return configObject(
    {
      topicArn: z.string({ error: `topicArn is required: ${TOPIC_ARN_FORMAT}` }),
      region: z.string({ error: 'region must be a string such as us-east-1' }).optional(),
      messageGroupIdField: fieldPathSchema.optional(),
    },
    'an SNS destination',
  ).transform((input, refinement): SnsConfig => {
    const fields = fifoResourceFields(refinement, parseTopicArn(input.topicArn, allowEmulator), input, {
      locator: 'topic ARN',
      noun: 'topic',
    });
    return fields === z.NEVER ? z.NEVER : { topicArn: input.topicArn, ...fields };
  });
}
