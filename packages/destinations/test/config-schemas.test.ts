import { describe, expect, it } from 'vitest';
import { configureDestination, destinationDefinitions } from '../src/registry.ts';
import type { ConfigContext, DestinationType } from '../src/types.ts';

const AWS: ConfigContext = {};
const EMULATOR: ConfigContext = { endpointOverride: 'http://127.0.0.1:4566' };

function parse(type: DestinationType, config: unknown, ctx: ConfigContext = AWS) {
  return destinationDefinitions[type].configSchema(ctx).safeParse(config);
}

/** The messages of a failed parse, each prefixed with its field. */
function problems(type: DestinationType, config: unknown, ctx: ConfigContext = AWS): string[] {
  const result = parse(type, config, ctx);
  expect(result.success, `expected ${JSON.stringify(config)} to be refused`).toBe(false);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('sqs config', () => {
  const url = (name: string, region = 'us-east-1', account = '123456789012') =>
    `https://sqs.${region}.amazonaws.com/${account}/${name}`;

  it('accepts a standard queue URL and fills the region from it', () => {
    expect(parse('sqs', { queueUrl: url('orders', 'eu-west-2') }).data).toEqual({
      queueUrl: url('orders', 'eu-west-2'),
      region: 'eu-west-2',
    });
  });

  it('detects FIFO from .fifo and defaults messageGroupIdField', () => {
    const fifo = parse('sqs', { queueUrl: url('orders.fifo') });
    expect(fifo.data).toEqual({
      queueUrl: url('orders.fifo'),
      region: 'us-east-1',
      messageGroupIdField: 'customerExternalId',
    });
    const configured = configureDestination(
      'sqs',
      { queueUrl: url('orders.fifo'), messageGroupIdField: 'payload.orderId' },
      AWS,
    );
    expect(configured.ok && configured.destination.isFifo).toBe(true);
    const standard = configureDestination('sqs', { queueUrl: url('orders') }, AWS);
    expect(standard.ok && standard.destination.isFifo).toBe(false);
  });

  it('accepts its own output again (stored configs re-validate)', () => {
    const once = parse('sqs', { queueUrl: url('orders.fifo'), messageGroupIdField: 'metadata.tier' }).data;
    expect(parse('sqs', once).data).toEqual(once);
  });

  it.each([
    [
      'not a URL',
      { queueUrl: 'orders' },
      'is not a URL; expected https://sqs.<region>.amazonaws.com/<12-digit account>/<name>',
    ],
    ['http on AWS', { queueUrl: 'http://sqs.us-east-1.amazonaws.com/123456789012/q' }, 'is not an SQS queue URL'],
    ['another host', { queueUrl: 'https://example.com/123456789012/q' }, 'is not an SQS queue URL'],
    ['a bad region', { queueUrl: url('q', 'mars-1') }, 'is not an AWS region'],
    [
      'an 11-digit account',
      { queueUrl: url('q', 'us-east-1', '12345678901') },
      'has 11 digits; AWS account ids have exactly 12',
    ],
    [
      'a missing name',
      { queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/' },
      'path must be /<account>/<name>',
    ],
    ['a bad name', { queueUrl: url('orders!') }, 'is not a valid queue name'],
    ['a name over 80', { queueUrl: url('q'.repeat(81)) }, 'is not a valid queue name'],
    ['a query string', { queueUrl: `${url('q')}?x=1` }, 'no query'],
    ['a region that differs from the URL', { queueUrl: url('q'), region: 'eu-west-1' }, 'differs from the queue URL'],
    ['a malformed region', { queueUrl: url('q'), region: 'EU' }, 'is not an AWS region'],
    [
      'an unknown field',
      { queueUrl: url('q'), queue: 'x' },
      'unknown field(s) queue; an SQS destination takes queueUrl, region, messageGroupIdField',
    ],
    ['no queueUrl', {}, 'queueUrl is required'],
    ['not an object', 'https://sqs', 'must be an object'],
  ])('refuses %s', (_case, config, message) => {
    expect(problems('sqs', config).join('\n')).toContain(message);
  });

  it('refuses messageGroupIdField on a standard queue, saying why', () => {
    expect(problems('sqs', { queueUrl: url('orders'), messageGroupIdField: 'customerExternalId' })).toEqual([
      'messageGroupIdField: messageGroupIdField applies only to FIFO queues (names ending in .fifo); "orders" is a standard queue',
    ]);
  });

  it.each([
    ['an unknown root', 'orderId', 'does not start with a field of the event'],
    ['payload alone', 'payload', 'name a field inside it'],
    ['a nested metadata key', 'metadata.a.b', 'must name one metadata key'],
    ['a field under a scalar', 'source.name', 'is a plain value'],
    ['an empty segment', 'payload..id', 'is not a dotted field path'],
    ['a space', 'payload.order id', 'is not a dotted field path'],
    ['too deep', `payload.${Array.from({ length: 9 }, () => 'a').join('.')}`, 'nested too deeply'],
  ])('refuses a messageGroupIdField with %s', (_case, field, message) => {
    expect(problems('sqs', { queueUrl: url('q.fifo'), messageGroupIdField: field }).join('\n')).toContain(message);
  });

  it('accepts emulator queue URLs only when the SQS endpoint is overridden', () => {
    const fauxqs = 'http://sqs.us-east-1.localhost:4566/000000000000/orders.fifo';
    const plain = 'http://127.0.0.1:4566/000000000000/orders';
    expect(problems('sqs', { queueUrl: fauxqs }).join()).toContain('is not an SQS queue URL');
    expect(parse('sqs', { queueUrl: fauxqs }, EMULATOR).data).toMatchObject({ region: 'us-east-1' });
    // No region in the host: it must be given.
    expect(problems('sqs', { queueUrl: plain }, EMULATOR).join()).toContain('region is required');
    expect(parse('sqs', { queueUrl: plain, region: 'eu-west-1' }, EMULATOR).data).toMatchObject({
      region: 'eu-west-1',
    });
    // Still a URL with an account and a valid name.
    expect(problems('sqs', { queueUrl: 'http://127.0.0.1:4566/orders' }, EMULATOR).join()).toContain(
      '/<account>/<name>',
    );
  });
});

describe('sqs queue URL hosts under an endpoint override', () => {
  const queue = (origin: string) => `${origin}/000000000000/orders`;
  const VPC_ENDPOINT: ConfigContext = { endpointOverride: 'https://vpce-0a1b2c.sqs.us-east-1.vpce.amazonaws.com' };

  it("accepts AWS's host and the override's, and nothing else, without naming the override", () => {
    expect(parse('sqs', { queueUrl: queue('https://sqs.us-east-1.amazonaws.com') }, VPC_ENDPOINT).success).toBe(true);
    expect(
      parse(
        'sqs',
        { queueUrl: queue('https://vpce-0a1b2c.sqs.us-east-1.vpce.amazonaws.com'), region: 'us-east-1' },
        VPC_ENDPOINT,
      ).success,
    ).toBe(true);
    for (const origin of [
      'https://attacker.example.com',
      'http://169.254.169.254',
      'http://sqs.us-east-1.localhost:4566',
    ]) {
      const refused = problems('sqs', { queueUrl: queue(origin), region: 'us-east-1' }, VPC_ENDPOINT).join();
      expect(refused, origin).toContain("this deployment's SQS endpoint");
      expect(refused, origin).not.toContain('vpce-0a1b2c');
    }
  });

  it('takes any loopback name for a loopback override: emulators write their URLs with localhost', () => {
    for (const origin of ['http://sqs.us-east-1.localhost:4566', 'http://localhost:4566', 'http://127.0.0.1:9324']) {
      expect(parse('sqs', { queueUrl: queue(origin), region: 'us-east-1' }, EMULATOR).success, origin).toBe(true);
    }
    const elsewhere = problems(
      'sqs',
      { queueUrl: queue('http://10.0.0.7:4566'), region: 'us-east-1' },
      EMULATOR,
    ).join();
    expect(elsewhere).toContain("this deployment's SQS endpoint");
    expect(elsewhere).not.toContain('127.0.0.1');
  });
});

describe('sns config', () => {
  const arn = (name: string, region = 'us-east-1', account = '123456789012') =>
    `arn:aws:sns:${region}:${account}:${name}`;

  it('accepts a topic ARN, FIFO by .fifo', () => {
    expect(parse('sns', { topicArn: arn('events') }).data).toEqual({ topicArn: arn('events'), region: 'us-east-1' });
    expect(parse('sns', { topicArn: arn('events.fifo'), messageGroupIdField: 'payload.orderId' }).data).toEqual({
      topicArn: arn('events.fifo'),
      region: 'us-east-1',
      messageGroupIdField: 'payload.orderId',
    });
  });

  it.each([
    [
      'not an ARN',
      { topicArn: 'events' },
      'is not an SNS topic ARN; expected arn:aws:sns:<region>:<12-digit account>:<name>',
    ],
    ['an SQS ARN', { topicArn: 'arn:aws:sqs:us-east-1:123456789012:q' }, 'is not an SNS topic ARN'],
    ['a bad region', { topicArn: arn('t', 'useast1') }, 'is not an AWS region'],
    ['an 11-digit account', { topicArn: arn('t', 'us-east-1', '12345678901') }, 'has 11 digits'],
    ['a bad name', { topicArn: arn('my topic') }, 'is not a valid topic name'],
    [
      'messageGroupIdField on a standard topic',
      { topicArn: arn('t'), messageGroupIdField: 'source' },
      'applies only to FIFO topics',
    ],
    ['a bad field path', { topicArn: arn('t.fifo'), messageGroupIdField: 'payload.' }, 'is not a dotted field path'],
  ])('refuses %s', (_case, config, message) => {
    expect(problems('sns', config).join('\n')).toContain(message);
  });

  it('accepts an emulator account id only when the SNS endpoint is overridden', () => {
    expect(problems('sns', { topicArn: arn('t', 'us-east-1', '1') }).join()).toContain('has 1 digit;');
    expect(parse('sns', { topicArn: arn('t', 'us-east-1', '1') }, EMULATOR).success).toBe(true);
  });
});

describe('kinesis config', () => {
  const arn = (name: string, account = '123456789012') => `arn:aws:kinesis:us-east-1:${account}:stream/${name}`;

  it('accepts a stream ARN and defaults partitionKeyField', () => {
    expect(parse('kinesis', { streamArn: arn('clicks') }).data).toEqual({
      streamArn: arn('clicks'),
      region: 'us-east-1',
      partitionKeyField: 'customerExternalId',
    });
  });

  it.each([
    ['a topic ARN', { streamArn: 'arn:aws:sns:us-east-1:123456789012:t' }, 'is not a Kinesis stream ARN'],
    [
      'no stream/ prefix',
      { streamArn: 'arn:aws:kinesis:us-east-1:123456789012:clicks' },
      'is not a Kinesis stream ARN',
    ],
    ['an 11-digit account', { streamArn: arn('clicks', '12345678901') }, 'has 11 digits'],
    ['a bad name', { streamArn: arn('a/b') }, 'is not a valid stream name'],
    [
      'a bad partitionKeyField',
      { streamArn: arn('clicks'), partitionKeyField: 'customer' },
      'does not start with a field',
    ],
    [
      'messageGroupIdField',
      { streamArn: arn('clicks'), messageGroupIdField: 'source' },
      'unknown field(s) messageGroupIdField',
    ],
  ])('refuses %s', (_case, config, message) => {
    expect(problems('kinesis', config).join('\n')).toContain(message);
  });
});

describe('eventbridge config', () => {
  const arn = (name: string, account = '123456789012', region = 'eu-west-1') =>
    `arn:aws:events:${region}:${account}:event-bus/${name}`;

  it('accepts an event bus ARN, takes its region and defaults detailTypeField; source stays optional', () => {
    expect(parse('eventbridge', { eventBusArn: arn('orders') }).data).toEqual({
      eventBusArn: arn('orders'),
      region: 'eu-west-1',
      detailTypeField: 'eventType',
    });
    const full = { eventBusArn: arn('orders'), source: 'com.acme.billing', detailTypeField: 'payload.kind' };
    expect(parse('eventbridge', full).data).toEqual({ ...full, region: 'eu-west-1' });
    const configured = configureDestination('eventbridge', full, AWS);
    expect(configured.ok && configured.destination.iamPermissions).toEqual({
      actions: ['events:PutEvents', 'events:DescribeEventBus'],
      resource: arn('orders'),
    });
  });

  it('accepts its own output again (stored configs re-validate)', () => {
    const once = parse('eventbridge', { eventBusArn: arn('default'), source: 'billing' }).data;
    expect(parse('eventbridge', once).data).toEqual(once);
  });

  it.each([
    [
      'a rule ARN',
      { eventBusArn: 'arn:aws:events:eu-west-1:123456789012:rule/r' },
      'is not an EventBridge event bus ARN',
    ],
    ['a queue ARN', { eventBusArn: 'arn:aws:sqs:eu-west-1:123456789012:q' }, 'is not an EventBridge event bus ARN'],
    ['an 11-digit account', { eventBusArn: arn('orders', '12345678901') }, 'has 11 digits'],
    ['a partner bus name', { eventBusArn: arn('aws.partner/x.com/1') }, 'is not a valid event bus name'],
    ['another region', { eventBusArn: arn('orders'), region: 'us-east-1' }, 'differs from the event bus ARN'],
    ['an aws. source', { eventBusArn: arn('orders'), source: 'aws.s3' }, 'reserved for AWS services'],
    ['an empty source', { eventBusArn: arn('orders'), source: '' }, 'must not be empty'],
    ['a bad detailTypeField', { eventBusArn: arn('orders'), detailTypeField: 'kind' }, 'does not start with a field'],
    ['a queue field', { eventBusArn: arn('orders'), queueUrl: 'x' }, 'unknown field(s) queueUrl'],
  ])('refuses %s', (_case, config, message) => {
    expect(problems('eventbridge', config).join('\n')).toContain(message);
  });

  it('accepts an emulator account id only when the EventBridge endpoint is overridden', () => {
    expect(parse('eventbridge', { eventBusArn: arn('orders', '1') }, EMULATOR).success).toBe(true);
    expect(parse('eventbridge', { eventBusArn: arn('orders', '1') }).success).toBe(false);
  });
});

describe('configureDestination', () => {
  it('answers field errors with paths', () => {
    const result = configureDestination('sqs', { queueUrl: 'nope' }, AWS);
    expect(result).toEqual({
      ok: false,
      errors: [{ path: 'queueUrl', message: expect.stringContaining('is not a URL') }],
    });
  });
});
