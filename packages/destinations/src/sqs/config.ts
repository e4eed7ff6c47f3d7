import { z } from 'zod';
import { accountProblem, configObject, type Problem, regionProblem } from '../aws-identifiers.ts';
import { fieldPathSchema } from '../event-fields.ts';
import { fifoResourceFields } from '../fifo-resource-config.ts';
import type { ConfigContext } from '../types.ts';

export interface SqsConfig {
  queueUrl: string;
  region: string;
  /** Set (default customerExternalId) exactly when the queue is FIFO. */
  messageGroupIdField?: string;
}

export interface QueueParts {
  region: string | null;
  account: string;
  name: string;
  fifo: boolean;
}

export const QUEUE_URL_FORMAT = 'https://sqs.<region>.amazonaws.com/<12-digit account>/<name>';
const NAME_RULE =
  'a queue name is 1 to 80 letters, digits, hyphens or underscores; a FIFO queue name ends in .fifo (within the 80)';
const STANDARD_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const FIFO_NAME = /^[A-Za-z0-9_-]{1,75}\.fifo$/;
const AWS_HOST = /^sqs\.([^.]+)\.amazonaws\.com$/;
// Emulators name the region like AWS (fauxqs: sqs.us-east-1.localhost:4566) or not at all (127.0.0.1:4566).
const EMULATOR_REGION_HOST = /^sqs\.([a-z0-9-]+)\./;

/**
 * Which hosts besides AWS's a queue URL may name: none; the endpoint override's (emulators, VPC
 * endpoints; when it is a loopback address, any loopback name, as emulators write their URLs
 * with `localhost`); or any (a stored config, checked when it was stored).
 */
export type QueueHosts = { override: string | undefined } | 'any';

const isLoopback = (host: string) =>
  host === 'localhost' || host.endsWith('.localhost') || /^127(?:\.\d{1,3}){3}$/.test(host) || host === '[::1]';

function overrideAllows(url: URL, hosts: QueueHosts): boolean {
  if (hosts === 'any') return true;
  if (!hosts.override) return false;
  let override: URL;
  try {
    override = new URL(hosts.override);
  } catch {
    return false;
  }
  return url.hostname === override.hostname || (isLoopback(override.hostname) && isLoopback(url.hostname));
}

/** Splits a queue URL into region, account and name; a list of problems when it is not one. */
export function parseQueueUrl(value: string, hosts: QueueHosts): QueueParts | Problem[] {
  const problem = (message: string): Problem[] => [{ path: 'queueUrl', message }];
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return problem(`"${value}" is not a URL; expected ${QUEUE_URL_FORMAT}`);
  }
  if (url.search || url.hash || url.username || url.password) {
    return problem(`the queue URL must have no query, fragment or credentials; expected ${QUEUE_URL_FORMAT}`);
  }
  const segments = url.pathname.split('/').slice(1);
  if (segments.length !== 2 || !segments[0] || !segments[1]) {
    return problem(`the queue URL's path must be /<account>/<name>; expected ${QUEUE_URL_FORMAT}`);
  }
  const [account = '', name = ''] = segments;
  const awsHost = AWS_HOST.exec(url.host);
  let region: string | null;
  if (awsHost && url.protocol === 'https:') {
    region = awsHost[1] ?? null;
  } else if (overrideAllows(url, hosts) && (url.protocol === 'http:' || url.protocol === 'https:')) {
    region = EMULATOR_REGION_HOST.exec(url.hostname)?.[1] ?? null;
  } else if (hosts !== 'any' && hosts.override) {
    // The override's host is an internal address: the message does not name it.
    return problem(
      `"${value}" is not an SQS queue URL this deployment sends to; expected ${QUEUE_URL_FORMAT} or a URL on this deployment's SQS endpoint`,
    );
  } else {
    return problem(`"${value}" is not an SQS queue URL; expected ${QUEUE_URL_FORMAT}`);
  }
  const problems: Problem[] = [];
  if (region !== null) {
    const regionIssue = regionProblem(region);
    if (regionIssue) problems.push({ path: 'queueUrl', message: `${regionIssue} (in the queue URL's host)` });
  }
  const accountIssue = accountProblem(account, hosts === 'any' || Boolean(hosts.override));
  if (accountIssue) problems.push({ path: 'queueUrl', message: `${accountIssue}; expected ${QUEUE_URL_FORMAT}` });
  const fifo = name.endsWith('.fifo');
  if (!(fifo ? FIFO_NAME : STANDARD_NAME).test(name)) {
    problems.push({ path: 'queueUrl', message: `"${name}" is not a valid queue name: ${NAME_RULE}` });
  }
  return problems.length > 0 ? problems : { region, account, name, fifo };
}

/** The queue's parts from a config that already passed the schema. */
export function queueParts(config: SqsConfig): QueueParts {
  const parsed = parseQueueUrl(config.queueUrl, 'any');
  if (Array.isArray(parsed)) throw new Error(`SQS config holds an invalid queue URL: ${parsed[0]?.message}`);
  return parsed;
}

export function sqsConfigSchema(ctx: ConfigContext): z.ZodType<SqsConfig, unknown> {
  return configObject(
    {
      queueUrl: z.string({ error: `queueUrl is required: ${QUEUE_URL_FORMAT}` }),
      region: z.string({ error: 'region must be a string such as us-east-1' }).optional(),
      messageGroupIdField: fieldPathSchema.optional(),
    },
    'an SQS destination',
  ).transform((input, refinement): SqsConfig => {
    const fields = fifoResourceFields(
      refinement,
      parseQueueUrl(input.queueUrl, { override: ctx.endpointOverride }),
      input,
      {
        locator: 'queue URL',
        noun: 'queue',
      },
    );
    return fields === z.NEVER ? z.NEVER : { queueUrl: input.queueUrl, ...fields };
  });
}

/** The queue's ARN, for IAM messages and policies. */
export function queueArn(config: SqsConfig): string {
  const parts = queueParts(config);
  return `arn:aws:sqs:${config.region}:${parts.account}:${parts.name}`;
}
