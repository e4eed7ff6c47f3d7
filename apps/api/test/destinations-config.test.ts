import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AWS_QUEUE_URL,
  AWS_STREAM_ARN,
  AWS_TOPIC_ARN,
  type DestinationsHarness,
  destinationInput,
  startDestinationsHarness,
} from './destinations-support.ts';

/**
 * Every rule of the per-type config schemas, through POST /v1/destinations: a 400 whose error
 * names the config field and what was expected. No endpoint override is set for SQS, SNS or
 * Kinesis here (only STS, for the trust policy), so emulator shapes are refused; the
 * override cases are in destinations-endpoints.test.ts.
 */

let h: DestinationsHarness;
beforeAll(async () => {
  h = await startDestinationsHarness({
    awsEnv: ({ env }) => ({
      AWS_REGION: env.AWS_REGION!,
      AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID!,
      AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY!,
      AWS_ENDPOINT_URL_STS: env.AWS_ENDPOINT_URL_STS!,
    }),
  });
});
afterAll(() => h.close());

const QUEUE_FORMAT = 'https://sqs.<region>.amazonaws.com/<12-digit account>/<name>';
const TOPIC_FORMAT = 'arn:aws:sns:<region>:<12-digit account>:<name>';
const STREAM_FORMAT = 'arn:aws:kinesis:<region>:<12-digit account>:stream/<name>';
const FIELD_FORMAT = /customerExternalId, .*metadata\.<key>, or payload\.<field>/;
const sqsUrl = (tail: string) => `https://sqs.us-east-1.amazonaws.com/${tail}`;

type Case = [name: string, type: 'sqs' | 'sns' | 'kinesis', config: unknown, path: string, message: string | RegExp];

const cases: Case[] = [
  // SQS queue URL
  ['no queueUrl', 'sqs', {}, 'config.queueUrl', QUEUE_FORMAT],
  ['a queueUrl that is not a string', 'sqs', { queueUrl: 42 }, 'config.queueUrl', QUEUE_FORMAT],
  ['a queueUrl that is not a URL', 'sqs', { queueUrl: 'orders' }, 'config.queueUrl', QUEUE_FORMAT],
  ['an http queueUrl', 'sqs', { queueUrl: AWS_QUEUE_URL.replace('https', 'http') }, 'config.queueUrl', QUEUE_FORMAT],
  [
    'a queueUrl on another host',
    'sqs',
    { queueUrl: 'https://sqs.us-east-1.example.com/123456789012/orders' },
    'config.queueUrl',
    QUEUE_FORMAT,
  ],
  [
    'an emulator queueUrl without an SQS override',
    'sqs',
    { queueUrl: 'http://sqs.us-east-1.localhost:4566/000000000000/orders' },
    'config.queueUrl',
    QUEUE_FORMAT,
  ],
  [
    'a queueUrl with an unknown region',
    'sqs',
    { queueUrl: 'https://sqs.mars.amazonaws.com/123456789012/orders' },
    'config.queueUrl',
    /"mars" is not an AWS region; expected one like us-east-1/,
  ],
  ['an 11-digit account', 'sqs', { queueUrl: sqsUrl('12345678901/orders') }, 'config.queueUrl', /exactly 12/],
  ['a 13-digit account', 'sqs', { queueUrl: sqsUrl('1234567890123/orders') }, 'config.queueUrl', /exactly 12/],
  ['a non-numeric account', 'sqs', { queueUrl: sqsUrl('acme/orders') }, 'config.queueUrl', /must be 12 digits/],
  ['no queue name', 'sqs', { queueUrl: sqsUrl('123456789012/') }, 'config.queueUrl', QUEUE_FORMAT],
  ['a deeper path', 'sqs', { queueUrl: sqsUrl('123456789012/a/b') }, 'config.queueUrl', QUEUE_FORMAT],
  ['a query string', 'sqs', { queueUrl: `${AWS_QUEUE_URL}?x=1` }, 'config.queueUrl', QUEUE_FORMAT],
  ['a name with a dot', 'sqs', { queueUrl: sqsUrl('123456789012/or.ders') }, 'config.queueUrl', /1 to 80 letters/],
  ['an 81-character name', 'sqs', { queueUrl: sqsUrl(`123456789012/${'q'.repeat(81)}`) }, 'config.queueUrl', /80/],
  [
    'an 81-character FIFO name',
    'sqs',
    { queueUrl: sqsUrl(`123456789012/${'q'.repeat(76)}.fifo`) },
    'config.queueUrl',
    /ends in \.fifo \(within the 80\)/,
  ],
  [
    'a region that differs from the URL',
    'sqs',
    { queueUrl: AWS_QUEUE_URL, region: 'eu-west-1' },
    'config.region',
    /differs from the queue URL's region "us-east-1"/,
  ],
  ['a region that is not one', 'sqs', { queueUrl: AWS_QUEUE_URL, region: 'east' }, 'config.region', /like us-east-1/],
  [
    'messageGroupIdField on a standard queue',
    'sqs',
    { queueUrl: AWS_QUEUE_URL, messageGroupIdField: 'customerExternalId' },
    'config.messageGroupIdField',
    /only to FIFO queues \(names ending in \.fifo\)/,
  ],
  [
    'an unknown config field',
    'sqs',
    { queueUrl: AWS_QUEUE_URL, queueURL: AWS_QUEUE_URL },
    'config.queueURL',
    /unknown field\(s\) queueURL; an SQS destination takes queueUrl, region, messageGroupIdField/,
  ],
  ['a config that is an array', 'sqs', [AWS_QUEUE_URL], 'config', /object/],
  // dotted field paths, on a FIFO queue
  ...(
    [
      ['payload', /name a field inside it, e.g. payload.orderId/],
      ['payload..orderId', FIELD_FORMAT],
      ['metadata', /one metadata key, e.g. metadata.tier/],
      ['metadata.tier.level', /one metadata key/],
      ['customerExternalId.id', /plain value and has no fields/],
      ['order.id', /does not start with a field of the event/],
      ['payload.a b', FIELD_FORMAT],
      ['', FIELD_FORMAT],
      [`payload${'.x'.repeat(9)}`, /at most 8 levels below payload/],
      [7, FIELD_FORMAT],
    ] as const
  ).map(
    ([field, message]): Case => [
      `messageGroupIdField ${JSON.stringify(field)}`,
      'sqs',
      { queueUrl: sqsUrl('123456789012/q.fifo'), messageGroupIdField: field },
      'config.messageGroupIdField',
      message,
    ],
  ),
  // SNS topic ARN
  ['no topicArn', 'sns', {}, 'config.topicArn', TOPIC_FORMAT],
  [
    'an SQS ARN as topicArn',
    'sns',
    { topicArn: 'arn:aws:sqs:us-east-1:123456789012:q' },
    'config.topicArn',
    TOPIC_FORMAT,
  ],
  [
    'a topicArn without a name',
    'sns',
    { topicArn: 'arn:aws:sns:us-east-1:123456789012' },
    'config.topicArn',
    TOPIC_FORMAT,
  ],
  ['a topic URL', 'sns', { topicArn: AWS_QUEUE_URL }, 'config.topicArn', TOPIC_FORMAT],
  ['a topic region', 'sns', { topicArn: 'arn:aws:sns:moon:123456789012:t' }, 'config.topicArn', TOPIC_FORMAT],
  ['a 1-digit topic account', 'sns', { topicArn: 'arn:aws:sns:us-east-1:1:t' }, 'config.topicArn', /has 1 digit/],
  ['a topic name with a dot', 'sns', { topicArn: `${AWS_TOPIC_ARN}.v2` }, 'config.topicArn', /1 to 256 letters/],
  [
    'messageGroupIdField on a standard topic',
    'sns',
    { topicArn: AWS_TOPIC_ARN, messageGroupIdField: 'source' },
    'config.messageGroupIdField',
    /only to FIFO topics/,
  ],
  [
    'a bad messageGroupIdField on a FIFO topic',
    'sns',
    { topicArn: `${AWS_TOPIC_ARN}.fifo`, messageGroupIdField: 'payload' },
    'config.messageGroupIdField',
    /payload.orderId/,
  ],
  [
    'a queueUrl on SNS',
    'sns',
    { topicArn: AWS_TOPIC_ARN, queueUrl: AWS_QUEUE_URL },
    'config.queueUrl',
    /takes topicArn/,
  ],
  // Kinesis stream ARN
  ['no streamArn', 'kinesis', {}, 'config.streamArn', STREAM_FORMAT],
  [
    'a streamArn without stream/',
    'kinesis',
    { streamArn: 'arn:aws:kinesis:us-east-1:123456789012:orders' },
    'config.streamArn',
    STREAM_FORMAT,
  ],
  [
    'a stream name with a slash',
    'kinesis',
    { streamArn: `${AWS_STREAM_ARN}/x` },
    'config.streamArn',
    /1 to 128 letters, digits, hyphens, underscores or periods/,
  ],
  [
    'an 11-digit stream account',
    'kinesis',
    { streamArn: 'arn:aws:kinesis:us-east-1:12345678901:stream/s' },
    'config.streamArn',
    /exactly 12/,
  ],
  [
    'a bad partitionKeyField',
    'kinesis',
    { streamArn: AWS_STREAM_ARN, partitionKeyField: 'payload' },
    'config.partitionKeyField',
    /payload.orderId/,
  ],
  [
    'messageGroupIdField on Kinesis',
    'kinesis',
    { streamArn: AWS_STREAM_ARN, messageGroupIdField: 'source' },
    'config.messageGroupIdField',
    /takes streamArn, region, partitionKeyField/,
  ],
];

describe('destination config rules', () => {
  it.each(cases)(
    'refuses %s with 400 naming the field and the expected format',
    async (_, type, config, path, message) => {
      const response = await h.call('POST', '/v1/destinations', destinationInput({ type, config }));
      expect(response.statusCode, response.body).toBe(400);
      const body = response.json();
      expect(body).toMatchObject({ status: 400, code: 'validation_failed' });
      expect(response.headers['content-type']).toContain('application/problem+json');
      const error = body.errors.find((e: { path: string }) => e.path === path);
      expect(error, response.body).toBeDefined();
      if (typeof message === 'string') expect(error.message).toContain(message);
      else expect(error.message).toMatch(message);
    },
  );

  it('reports every problem of one config', async () => {
    const response = await h.call(
      'POST',
      '/v1/destinations',
      destinationInput({ config: { queueUrl: sqsUrl('1234/or.ders') } }),
    );
    expect(response.json().errors).toEqual([
      { path: 'config.queueUrl', message: expect.stringContaining('exactly 12') },
      { path: 'config.queueUrl', message: expect.stringContaining('not a valid queue name') },
    ]);
  });

  it('accepts the dotted field paths the contract describes, and stores what it checked', async () => {
    const fields = ['customerExternalId', 'source', 'metadata.tier', 'payload.orderId', 'payload.items.0.sku'];
    for (const messageGroupIdField of fields) {
      const created = await h.create({
        config: { queueUrl: sqsUrl('123456789012/pushes.fifo'), messageGroupIdField },
      });
      expect(created.config).toMatchObject({ messageGroupIdField });
    }
    const stream = await h.create({
      type: 'kinesis',
      config: { streamArn: AWS_STREAM_ARN, partitionKeyField: 'payload.order.id', region: 'us-east-1' },
    });
    expect(stream.config).toEqual({
      streamArn: AWS_STREAM_ARN,
      region: 'us-east-1',
      partitionKeyField: 'payload.order.id',
    });
  });
});
