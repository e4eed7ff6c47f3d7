import { FAKE_STS_CALLER_ARN } from '@sluice/testing/fake-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AWS_FIFO_QUEUE_URL,
  AWS_STREAM_ARN,
  AWS_TOPIC_ARN,
  CUSTOMER,
  type DestinationsHarness,
  destinationInput,
  errorPaths,
  ROLE_ARN,
  startDestinationsHarness,
} from './destinations-support.ts';

let h: DestinationsHarness;
beforeAll(async () => {
  h = await startDestinationsHarness();
});
afterAll(() => h.close());

const isoTimestamp = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

describe('POST /v1/destinations and GET /v1/destinations/{id}', () => {
  it('creates a destination and answers it with id, status, normalised config and the generated ExternalId', async () => {
    const response = await h.call('POST', '/v1/destinations', destinationInput());
    expect(response.statusCode).toBe(201);
    const created = response.json();
    expect(created).toEqual({
      id: expect.any(String),
      name: 'Customer SQS queue',
      customerExternalId: CUSTOMER,
      type: 'sqs',
      // The region is read from the queue URL; a standard queue gets no messageGroupIdField.
      config: { queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/orders', region: 'us-east-1' },
      transform: null,
      auth: {
        mode: 'assume_role',
        roleArn: ROLE_ARN,
        externalId: expect.any(String),
        trustPolicy: expect.objectContaining({ Version: '2012-10-17' }),
        trustPolicyProblem: null,
      },
      eventTypes: ['order.*', 'invoice.paid'],
      enabled: true,
      status: 'active',
      retry: { maxAttempts: null, maxAgeSeconds: 86_400 },
      rateLimit: null,
      alerts: { dlqOpenAbove: 10, oldestPendingSecondsAbove: 900, failingForSeconds: 300 },
      // A standard queue has no groups to hold.
      fifo: null,
      health: { state: 'healthy', since: created.createdAt, detail: 'Nothing sent yet.' },
      createdAt: isoTimestamp,
      updatedAt: isoTimestamp,
    });
    expect(created.auth.trustPolicy.Statement[0].Principal).toEqual({ AWS: FAKE_STS_CALLER_ARN });

    const read = await h.call('GET', `/v1/destinations/${created.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(created);
  });

  it('fills the per-type defaults: FIFO group field, Kinesis partition key, every event type when absent', async () => {
    const fifo = await h.create({ config: { queueUrl: AWS_FIFO_QUEUE_URL }, eventTypes: undefined });
    expect(fifo.config).toEqual({
      queueUrl: AWS_FIFO_QUEUE_URL,
      region: 'eu-west-2',
      messageGroupIdField: 'customerExternalId',
    });
    expect(fifo.eventTypes).toBeNull();
    expect(fifo.fifo).toEqual({ onDeadLetter: 'skip' });
    const sns = await h.create({ type: 'sns', config: { topicArn: `${AWS_TOPIC_ARN}.fifo` } });
    expect(sns.config).toMatchObject({ region: 'us-east-1', messageGroupIdField: 'customerExternalId' });
    const kinesis = await h.create({
      type: 'kinesis',
      config: { streamArn: AWS_STREAM_ARN },
      enabled: false,
      retry: { maxAttempts: 5, maxAgeSeconds: 3600 },
    });
    expect(kinesis).toMatchObject({
      config: { streamArn: AWS_STREAM_ARN, region: 'us-east-1', partitionKeyField: 'customerExternalId' },
      enabled: false,
      status: 'disabled',
      retry: { maxAttempts: 5, maxAgeSeconds: 3600 },
    });
  });

  it('answers 404 not_found for an unknown id and for one that is not an id at all', async () => {
    for (const id of ['019a5c1e-7b2f-7c3e-9d41-1f2e3a4b5c6d', 'not-an-id', "1'or'1'='1"]) {
      const response = await h.call('GET', `/v1/destinations/${encodeURIComponent(id)}`);
      expect(response.statusCode, id).toBe(404);
      expect(response.json()).toMatchObject({ status: 404, code: 'not_found' });
    }
  });
});

describe('GET /v1/destinations', () => {
  it('lists newest first with cursor pages, and filters by customerExternalId and type', async () => {
    const customer = `list-${Date.now()}`;
    const sqs = await h.create({ customerExternalId: customer });
    const sns = await h.create({ customerExternalId: customer, type: 'sns', config: { topicArn: AWS_TOPIC_ARN } });
    const kinesis = await h.create({
      customerExternalId: customer,
      type: 'kinesis',
      config: { streamArn: AWS_STREAM_ARN },
    });
    await h.create({ customerExternalId: `${customer}-other` });

    const all = await h.call('GET', `/v1/destinations?customerExternalId=${customer}`);
    expect(all.statusCode).toBe(200);
    expect(all.json().data.map((d: { id: string }) => d.id)).toEqual([kinesis.id, sns.id, sqs.id]);
    expect(all.json().nextCursor).toBeNull();

    const first = (await h.call('GET', `/v1/destinations?customerExternalId=${customer}&limit=2`)).json();
    expect(first.data.map((d: { id: string }) => d.id)).toEqual([kinesis.id, sns.id]);
    expect(first.nextCursor).toEqual(expect.any(String));
    // A destination created between pages does not shift the next page.
    await h.create({ customerExternalId: customer });
    const second = (
      await h.call('GET', `/v1/destinations?customerExternalId=${customer}&limit=2&cursor=${first.nextCursor}`)
    ).json();
    expect(second).toEqual({ data: [expect.objectContaining({ id: sqs.id })], nextCursor: null });

    const onlySns = (await h.call('GET', `/v1/destinations?customerExternalId=${customer}&type=sns`)).json();
    expect(onlySns.data.map((d: { id: string }) => d.id)).toEqual([sns.id]);
  });

  it('refuses bad list parameters with 400 naming them', async () => {
    for (const [query, path] of [
      ['type=sqs2', 'query.type'],
      ['limit=0', 'query.limit'],
      ['limit=201', 'query.limit'],
      ['cursor=garbage', 'query.cursor'],
    ]) {
      const response = await h.call('GET', `/v1/destinations?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(errorPaths(response), query).toContain(path);
    }
  });
});

describe('PATCH /v1/destinations/{id}', () => {
  it('changes name, eventTypes, enabled and retry, leaving the rest', async () => {
    const created = await h.create();
    const response = await h.call('PATCH', `/v1/destinations/${created.id}`, {
      name: 'Renamed',
      eventTypes: ['invoice.*'],
      enabled: false,
      retry: { maxAttempts: 3 },
    });
    expect(response.statusCode).toBe(200);
    const patched = response.json();
    expect(patched).toMatchObject({
      name: 'Renamed',
      eventTypes: ['invoice.*'],
      enabled: false,
      status: 'disabled',
      retry: { maxAttempts: 3, maxAgeSeconds: 86_400 },
      config: created.config,
      auth: created.auth,
    });
    expect(Date.parse(patched.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));
    const back = await h.call('PATCH', `/v1/destinations/${created.id}`, { enabled: true, eventTypes: null });
    expect(back.json()).toMatchObject({ status: 'active', eventTypes: null });
    expect((await h.call('GET', `/v1/destinations/${created.id}`)).json()).toEqual(back.json());
  });

  it('merges a partial config into the current one and checks the result', async () => {
    const created = await h.create({
      config: { queueUrl: AWS_FIFO_QUEUE_URL, messageGroupIdField: 'payload.orderId' },
    });
    const grouped = await h.call('PATCH', `/v1/destinations/${created.id}`, {
      config: { messageGroupIdField: 'metadata.tier' },
    });
    expect(grouped.statusCode).toBe(200);
    expect(grouped.json().config).toEqual({
      queueUrl: AWS_FIFO_QUEUE_URL,
      region: 'eu-west-2',
      messageGroupIdField: 'metadata.tier',
    });
    const invalid = await h.call('PATCH', `/v1/destinations/${created.id}`, {
      config: { messageGroupIdField: 'payload' },
    });
    expect(invalid.statusCode).toBe(400);
    expect(errorPaths(invalid)).toEqual(['config.messageGroupIdField']);
    expect((await h.call('GET', `/v1/destinations/${created.id}`)).json().config.messageGroupIdField).toBe(
      'metadata.tier',
    );
  });

  it('moves a destination to a queue in another region, and from FIFO to standard', async () => {
    // The stored region and default group field came from the old URL: they must not pin the new one.
    const created = await h.create({ config: { queueUrl: AWS_FIFO_QUEUE_URL } });
    const moved = await h.call('PATCH', `/v1/destinations/${created.id}`, {
      config: { queueUrl: 'https://sqs.ap-southeast-2.amazonaws.com/123456789012/pushes.fifo' },
    });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json().config).toMatchObject({ region: 'ap-southeast-2', messageGroupIdField: 'customerExternalId' });
    const standard = await h.call('PATCH', `/v1/destinations/${created.id}`, {
      config: { queueUrl: 'https://sqs.ap-southeast-2.amazonaws.com/123456789012/pushes' },
    });
    expect(standard.statusCode, standard.body).toBe(200);
    expect(standard.json().config).toEqual({
      queueUrl: 'https://sqs.ap-southeast-2.amazonaws.com/123456789012/pushes',
      region: 'ap-southeast-2',
    });
  });

  it('keeps a chosen group field when the URL changes, and removes it with null', async () => {
    const created = await h.create({
      config: { queueUrl: AWS_FIFO_QUEUE_URL, messageGroupIdField: 'payload.orderId' },
    });
    const standardUrl = 'https://sqs.eu-west-2.amazonaws.com/123456789012/pushes';
    const refused = await h.call('PATCH', `/v1/destinations/${created.id}`, { config: { queueUrl: standardUrl } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors).toEqual([
      { path: 'config.messageGroupIdField', message: expect.stringContaining('only to FIFO queues') },
    ]);
    const cleared = await h.call('PATCH', `/v1/destinations/${created.id}`, {
      config: { queueUrl: standardUrl, messageGroupIdField: null },
    });
    expect(cleared.statusCode, cleared.body).toBe(200);
    expect(cleared.json().config).toEqual({ queueUrl: standardUrl, region: 'eu-west-2' });
  });

  it('refuses fields that cannot change and an unknown id', async () => {
    const created = await h.create();
    for (const payload of [{ type: 'sns' }, { customerExternalId: 'someone-else' }, { status: 'paused' }]) {
      const response = await h.call('PATCH', `/v1/destinations/${created.id}`, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(errorPaths(response)).toEqual(Object.keys(payload));
    }
    const missing = await h.call('PATCH', '/v1/destinations/019a5c1e-7b2f-7c3e-9d41-1f2e3a4b5c6d', { name: 'x' });
    expect(missing.statusCode).toBe(404);
  });
});

describe('pause, resume and DELETE', () => {
  it('pauses and resumes (status paused, then active) and deletes with 204, after which the id is unknown', async () => {
    const created = await h.create();
    const url = `/v1/destinations/${created.id}`;
    const paused = await h.call('POST', `${url}/pause`);
    expect(paused.statusCode).toBe(200);
    expect(paused.json()).toMatchObject({ id: created.id, status: 'paused', enabled: true });
    expect((await h.call('GET', url)).json().status).toBe('paused');
    const resumed = await h.call('POST', `${url}/resume`);
    expect(resumed.json()).toMatchObject({ status: 'active' });

    const deleted = await h.call('DELETE', url);
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    for (const [method, path] of [
      ['GET', url],
      ['PATCH', url],
      ['DELETE', url],
      ['POST', `${url}/pause`],
      ['POST', `${url}/resume`],
      ['POST', `${url}/test`],
    ] as const) {
      const response = await h.call(method, path, method === 'PATCH' ? { name: 'x' } : undefined);
      expect(response.statusCode, `${method} ${path}`).toBe(404);
    }
    const list = (await h.call('GET', `/v1/destinations?customerExternalId=${CUSTOMER}&limit=200`)).json();
    expect(list.data.map((d: { id: string }) => d.id)).not.toContain(created.id);
  });
});
