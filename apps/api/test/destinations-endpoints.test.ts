import type { AwsEmulators } from '@sluice/testing/aws-emulators';
import { startTestStack } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AWS_QUEUE_URL,
  type DestinationsHarness,
  destinationInput,
  startDestinationsHarness,
} from './destinations-support.ts';

/**
 * Emulator URL and ARN shapes (http, any host, accounts that are not 12 digits) are accepted
 * for a service only when its AWS_ENDPOINT_URL_* (or the shared AWS_ENDPOINT_URL) is set.
 * The case without any override is in destinations-config.test.ts.
 */

const EMULATOR_QUEUE = 'http://sqs.us-east-1.localhost:4566/000000000000/orders';
const EMULATOR_FIFO_QUEUE = 'http://sqs.eu-west-1.localhost:4566/000000000000/orders.fifo';
const BARE_HOST_QUEUE = 'http://127.0.0.1:4566/000000000000/orders';
const EMULATOR_TOPIC = 'arn:aws:sns:us-east-1:1:orders';
const EMULATOR_STREAM = 'arn:aws:kinesis:us-east-1:1:stream/orders';

const baseEnv = ({ env }: AwsEmulators) => ({
  AWS_REGION: env.AWS_REGION!,
  AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID!,
  AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY!,
  AWS_ENDPOINT_URL_STS: env.AWS_ENDPOINT_URL_STS!,
});

const post = (h: DestinationsHarness, type: string, config: Record<string, unknown>) =>
  h.call('POST', '/v1/destinations', destinationInput({ type, config }));

describe('with an override for every service', () => {
  let h: DestinationsHarness;
  beforeAll(async () => {
    h = await startDestinationsHarness();
  });
  afterAll(() => h.close());

  it('accepts the emulator queue URLs, reading the region from the host when it names one', async () => {
    expect((await h.create({ config: { queueUrl: EMULATOR_QUEUE } })).config).toEqual({
      queueUrl: EMULATOR_QUEUE,
      region: 'us-east-1',
    });
    expect((await h.create({ config: { queueUrl: EMULATOR_FIFO_QUEUE } })).config).toMatchObject({
      region: 'eu-west-1',
      messageGroupIdField: 'customerExternalId',
    });
    const regionless = await post(h, 'sqs', { queueUrl: BARE_HOST_QUEUE });
    expect(regionless.statusCode).toBe(400);
    expect(regionless.json().errors).toEqual([
      { path: 'config.region', message: expect.stringContaining('region is required') },
    ]);
    const withRegion = await post(h, 'sqs', { queueUrl: BARE_HOST_QUEUE, region: 'us-west-2' });
    expect(withRegion.statusCode).toBe(201);
    expect(withRegion.json().config).toEqual({ queueUrl: BARE_HOST_QUEUE, region: 'us-west-2' });
  });

  it('accepts emulator accounts in topic and stream ARNs, but still checks the rest', async () => {
    expect((await post(h, 'sns', { topicArn: EMULATOR_TOPIC })).statusCode).toBe(201);
    expect((await post(h, 'kinesis', { streamArn: EMULATOR_STREAM })).statusCode).toBe(201);
    const badName = await post(h, 'sqs', { queueUrl: 'http://sqs.us-east-1.localhost:4566/000000000000/a.b' });
    expect(badName.json().errors[0]).toMatchObject({ path: 'config.queueUrl' });
    const notQueue = await post(h, 'sqs', { queueUrl: 'ftp://127.0.0.1/000000000000/orders' });
    expect(notQueue.json().errors[0]).toMatchObject({ path: 'config.queueUrl' });
  });
});

describe('a destination stored under an override that is then removed', () => {
  let h: DestinationsHarness;
  beforeAll(async () => {
    h = await startDestinationsHarness();
  });
  afterAll(() => h.close());

  it('is still readable, its test answers 400 naming the field, and PATCH fixes it', async () => {
    const created = await h.create({ config: { queueUrl: EMULATOR_QUEUE } });
    // The same database, as a Sluice restarted without AWS_ENDPOINT_URL_SQS would see it.
    const restarted = await startTestStack({ awsEnv: baseEnv(h.emulators) });
    try {
      const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: Record<string, unknown>) =>
        restarted.app.inject({ method, url, headers: h.auth, ...(payload ? { payload } : {}) });
      const url = `/v1/destinations/${created.id}`;
      expect((await call('GET', url)).json()).toEqual(created);
      const tested = await call('POST', `${url}/test`);
      expect(tested.statusCode).toBe(400);
      expect(tested.json()).toMatchObject({
        code: 'validation_failed',
        detail: expect.stringContaining('no longer valid'),
        errors: [{ path: 'config.queueUrl', message: expect.stringContaining('https://sqs.<region>.amazonaws.com') }],
      });
      const fixed = await call('PATCH', url, { config: { queueUrl: AWS_QUEUE_URL } });
      expect(fixed.statusCode, fixed.body).toBe(200);
      expect(fixed.json().config).toEqual({ queueUrl: AWS_QUEUE_URL, region: 'us-east-1' });
    } finally {
      await restarted.close();
    }
  });
});

describe('with an override for SQS only', () => {
  let h: DestinationsHarness;
  beforeAll(async () => {
    h = await startDestinationsHarness({
      awsEnv: (emulators) => ({ ...baseEnv(emulators), AWS_ENDPOINT_URL_SQS: emulators.sqsSnsEndpoint }),
    });
  });
  afterAll(() => h.close());

  it('accepts emulator queue URLs and refuses emulator topic and stream ARNs', async () => {
    expect((await post(h, 'sqs', { queueUrl: EMULATOR_QUEUE })).statusCode).toBe(201);
    const topic = await post(h, 'sns', { topicArn: EMULATOR_TOPIC });
    expect(topic.statusCode).toBe(400);
    expect(topic.json().errors).toEqual([{ path: 'config.topicArn', message: expect.stringContaining('exactly 12') }]);
    const stream = await post(h, 'kinesis', { streamArn: EMULATOR_STREAM });
    expect(stream.statusCode).toBe(400);
    expect(stream.json().errors).toEqual([
      { path: 'config.streamArn', message: expect.stringContaining('exactly 12') },
    ]);
  });
});

describe('with the shared AWS_ENDPOINT_URL', () => {
  let h: DestinationsHarness;
  beforeAll(async () => {
    h = await startDestinationsHarness({
      awsEnv: (emulators) => ({ ...baseEnv(emulators), AWS_ENDPOINT_URL: emulators.sqsSnsEndpoint }),
    });
  });
  afterAll(() => h.close());

  it('accepts emulator shapes for every type', async () => {
    expect((await post(h, 'sqs', { queueUrl: EMULATOR_QUEUE })).statusCode).toBe(201);
    expect((await post(h, 'sns', { topicArn: EMULATOR_TOPIC })).statusCode).toBe(201);
    expect((await post(h, 'kinesis', { streamArn: EMULATOR_STREAM })).statusCode).toBe(201);
  });
});
