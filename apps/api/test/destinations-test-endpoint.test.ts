import { createServer, type Server } from 'node:http';
import {
  createQueue,
  createStream,
  createTopicWithQueue,
  readStream,
  receiveAll,
} from '@sluice/testing/aws-test-resources';
import { FAKE_STS_CALLER_ARN } from '@sluice/testing/fake-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUSTOMER, type DestinationsHarness, type Json, startDestinationsHarness } from './destinations-support.ts';

/**
 * POST /v1/destinations/{id}/test against fauxqs, kinesalite and the fake STS: a good destination
 * of each type passes every check and its sluice.test message arrives; a missing resource, a
 * FIFO mismatch and a wrong ExternalId fail with a message that says what to fix.
 */

/**
 * SQS decides FIFO-ness by the name, so no real queue (nor fauxqs) can disagree with its URL.
 * This proxy in front of fauxqs reports the other FifoQueue value for the queue URLs in `flipped`,
 * to show what the customer would see if AWS ever did.
 */
async function startFifoFlippingProxy() {
  const flipped = new Set<string>();
  let target = '';
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(Buffer.from(chunk));
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter(
        (entry): entry is [string, string] =>
          typeof entry[1] === 'string' && !['host', 'connection', 'content-length'].includes(entry[0]),
      ),
    );
    const upstream = await fetch(`${target}${request.url}`, { method: request.method, headers, body });
    let answer = await upstream.text();
    const action = String(request.headers['x-amz-target'] ?? '')
      .split('.')
      .pop();
    if (action === 'GetQueueAttributes' && upstream.ok && flipped.has(JSON.parse(body).QueueUrl)) {
      const parsed = JSON.parse(answer);
      parsed.Attributes.FifoQueue = parsed.Attributes.FifoQueue === 'true' ? 'false' : 'true';
      answer = JSON.stringify(parsed);
    }
    response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' });
    response.end(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('proxy did not listen');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    flipped,
    forwardTo: (endpoint: string) => {
      target = endpoint;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let h: DestinationsHarness;
let proxy: Awaited<ReturnType<typeof startFifoFlippingProxy>>;
let counter = 0;
beforeAll(async () => {
  proxy = await startFifoFlippingProxy();
  h = await startDestinationsHarness({
    awsEnv: (emulators) => {
      proxy.forwardTo(emulators.sqsSnsEndpoint);
      return { ...emulators.env, AWS_ENDPOINT_URL_SQS: proxy.endpoint };
    },
  });
});
afterAll(async () => {
  await h.close();
  await proxy.stop();
});

/** Registers a destination and lets Sluice assume its role with the ExternalId it generated. */
async function register(type: string, config: Json, trust: 'allow' | 'wrong-external-id' = 'allow') {
  const roleArn = `arn:aws:iam::000000000000:role/tester-${++counter}`;
  const destination = await h.create({ type, config, auth: { mode: 'assume_role', roleArn } });
  const externalId = destination.auth as { externalId: string };
  h.emulators.fakeSts.allowRole(roleArn, trust === 'allow' ? externalId.externalId : `not-${externalId.externalId}`);
  return { id: destination.id, roleArn, externalId: externalId.externalId };
}

const runTest = async (id: string) => {
  const response = await h.call('POST', `/v1/destinations/${id}/test`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
};
const unique = (name: string) => `${name}-${process.pid}-${++counter}`;

describe('a destination that works', () => {
  it('passes for a standard SQS queue, reports its MaximumMessageSize and delivers a sluice.test message', async () => {
    const queueUrl = await createQueue(h.aws.sqs, unique('tested'), { MaximumMessageSize: '2048' });
    const { id, roleArn, externalId } = await register('sqs', { queueUrl });
    const result = await runTest(id);
    expect(result).toEqual({
      ok: true,
      latencyMs: expect.any(Number),
      providerMessageId: expect.any(String),
      checks: [
        { name: 'credentials', ok: true, detail: expect.stringContaining(roleArn) },
        { name: 'trust_policy', ok: true, detail: expect.stringContaining('refuses any ExternalId') },
        { name: 'attributes', ok: true, detail: expect.stringContaining('MaximumMessageSize 2048 bytes') },
        { name: 'send', ok: true, detail: expect.stringContaining('sluice.test') },
      ],
    });
    const [message, ...more] = await receiveAll(h.aws.sqs, queueUrl);
    expect(more).toEqual([]);
    expect(message?.MessageId).toBe(result.providerMessageId);
    expect(JSON.parse(message!.Body!)).toMatchObject({ eventType: 'sluice.test', customerExternalId: CUSTOMER });
    expect(message?.MessageAttributes?.eventType?.StringValue).toBe('sluice.test');
    // Sluice assumed the role with the destination's ExternalId, in a session named for the tenant
    // (the other calls are its checks with a wrong ExternalId, which the role refused).
    const calls = h.emulators.fakeSts.assumeRoleCalls(roleArn);
    expect(calls.filter((call) => call.outcome === 'issued')).toEqual([
      expect.objectContaining({ externalId, sessionName: expect.stringContaining(h.tenantId) }),
    ]);
    expect(calls.filter((call) => call.externalId !== externalId).map((call) => call.outcome)).toContain('denied');
    // The learned limit is kept for the payload_too_large check of later deliveries.
    const stored = await h.stack.database.pool.query('select max_message_bytes from destinations where id = $1', [id]);
    expect(stored.rows[0].max_message_bytes).toBe(2048);
  });

  it('passes for a FIFO SQS queue, sending with the configured MessageGroupId', async () => {
    const queueUrl = await createQueue(h.aws.sqs, `${unique('tested')}.fifo`);
    const { id } = await register('sqs', { queueUrl, messageGroupIdField: 'source' });
    const result = await runTest(id);
    expect(result.ok, JSON.stringify(result)).toBe(true);
    expect(result.checks[2].detail).toContain('FIFO queue; MaximumMessageSize 1048576 bytes');
    const [message] = await receiveAll(h.aws.sqs, queueUrl);
    expect(message?.Attributes?.MessageGroupId).toBe('sluice');
  });

  it('passes for an SNS topic and a Kinesis stream', async () => {
    const { topicArn, queueUrl } = await createTopicWithQueue(h.aws, unique('tested-topic'));
    const topic = await runTest((await register('sns', { topicArn })).id);
    expect(topic).toMatchObject({ ok: true, providerMessageId: expect.any(String) });
    expect(topic.checks[2].detail).toContain('standard topic; messages up to');
    const [published] = await receiveAll(h.aws.sqs, queueUrl);
    expect(JSON.parse(published!.Body!).eventType).toBe('sluice.test');

    const streamName = unique('tested-stream');
    const streamArn = await createStream(h.aws.kinesis, streamName);
    const stream = await runTest((await register('kinesis', { streamArn })).id);
    expect(stream).toMatchObject({ ok: true, providerMessageId: expect.any(String) });
    expect(stream.checks[2].detail).toContain('stream ACTIVE');
    const records = await readStream(h.aws.kinesis, streamName);
    expect(records.map((record) => JSON.parse(record.data).eventType)).toEqual(['sluice.test']);
    expect(records[0]?.partitionKey).toBe(CUSTOMER);
  });

  it('passes for an EventBridge bus: DescribeEventBus, then one sluice.test event that arrives untransformed', async () => {
    const eventBusArn = h.aws.eventBridge.createBus(unique('tested-bus'), { kmsKeyIdentifier: 'alias/orders' });
    const { id } = await register('eventbridge', { eventBusArn });
    // The test message checks the way to the bus; a transform (checked by preview) is not applied.
    await h.call('PATCH', `/v1/destinations/${id}`, { transform: { language: 'jsonata', expression: '{ "x": 1 }' } });
    const result = await runTest(id);
    expect(result).toMatchObject({ ok: true, providerMessageId: expect.any(String) });
    expect(result.checks.map((check: { name: string; ok: boolean }) => [check.name, check.ok])).toEqual([
      ['credentials', true],
      ['trust_policy', true],
      ['attributes', true],
      ['send', true],
    ]);
    expect(result.checks[2].detail).toContain('encrypted with KMS key alias/orders');
    const [arrived, ...more] = h.aws.eventBridge.events(eventBusArn);
    expect(more).toEqual([]);
    expect(arrived).toMatchObject({ id: result.providerMessageId, 'detail-type': 'sluice.test', source: 'sluice' });
    expect(arrived?.detail).toMatchObject({ eventType: 'sluice.test', customerExternalId: CUSTOMER });
    expect(h.aws.eventBridge.calls.filter((call) => call.action === 'DescribeEventBus').length).toBeGreaterThan(0);
  });
});

describe('a destination that does not work', () => {
  it('names the missing queue, topic or stream', async () => {
    const existing = await createQueue(h.aws.sqs, unique('sibling'));
    const queueUrl = existing.replace(/[^/]+$/, unique('never-created'));
    const topicArn = `arn:aws:sns:us-east-1:000000000000:${unique('never-created')}`;
    const streamArn = `arn:aws:kinesis:us-east-1:000000000000:stream/${unique('never-created')}`;
    const eventBusArn = `arn:aws:events:us-east-1:000000000000:event-bus/${unique('never-created')}`;
    for (const [type, config, resource] of [
      ['sqs', { queueUrl }, queueUrl.split('/').pop()],
      ['sns', { topicArn }, topicArn],
      ['kinesis', { streamArn }, streamArn],
      ['eventbridge', { eventBusArn }, eventBusArn],
    ] as const) {
      const result = await runTest((await register(type, config)).id);
      expect(result.ok, type).toBe(false);
      expect(
        result.checks.map((check: { name: string; ok: boolean }) => [check.name, check.ok]),
        type,
      ).toEqual([
        ['credentials', true],
        ['trust_policy', true],
        ['attributes', false],
        ['send', false],
      ]);
      expect(result.error.message, type).toMatch(/does not exist in us-east-1/);
      expect(result.error.message, type).toContain(resource);
      expect(result.error.message).toBe(result.checks[2].detail);
    }
  });

  it('reports a queue whose FIFO-ness differs from its URL', async () => {
    const queueUrl = await createQueue(h.aws.sqs, unique('flipped'));
    proxy.flipped.add(queueUrl);
    const result = await runTest((await register('sqs', { queueUrl })).id);
    expect(result.ok).toBe(false);
    expect(result.error).toEqual({
      code: 'fifo_mismatch',
      message: 'The queue URL names a standard queue but the queue is FIFO.',
    });
    expect(result.checks[2]).toEqual({ name: 'attributes', ok: false, detail: result.error.message });
  });

  it('explains a wrong ExternalId with the trust policy to fix, and passes once it is fixed', async () => {
    const queueUrl = await createQueue(h.aws.sqs, unique('denied'));
    const { id, roleArn, externalId } = await register('sqs', { queueUrl }, 'wrong-external-id');
    const denied = await runTest(id);
    expect(denied.ok).toBe(false);
    expect(denied.error.code).toBe('AccessDenied');
    expect(denied.error.message).toContain(`STS AccessDenied: Sluice could not assume ${roleArn}`);
    expect(denied.error.message).toContain(
      `trust policy must allow principal ${FAKE_STS_CALLER_ARN} to call sts:AssumeRole and sts:TagSession with the condition StringEquals sts:ExternalId = ${externalId}`,
    );
    expect(denied.checks.map((check: { ok: boolean }) => check.ok)).toEqual([false, false, false]);
    expect(denied.checks[2].detail).toMatch(/^Skipped/);
    expect(await receiveAll(h.aws.sqs, queueUrl)).toEqual([]);

    // The customer pastes the trust policy Sluice gave them: the next test passes.
    h.emulators.fakeSts.allowRole(roleArn, externalId);
    expect((await runTest(id)).ok).toBe(true);
  });
});
