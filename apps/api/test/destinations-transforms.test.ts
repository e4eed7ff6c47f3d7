import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DestinationsHarness,
  destinationInput,
  errorPaths,
  startDestinationsHarness,
} from './destinations-support.ts';

/**
 * `transform` on create and PATCH (a broken expression is a 400 naming transform.expression,
 * with the parser's message and position), and EventBridge destinations through the API.
 */

let h: DestinationsHarness;
beforeAll(async () => {
  h = await startDestinationsHarness();
});
afterAll(() => h.close());

const RENAME = { language: 'jsonata', expression: '{ "order": payload.orderId, "cents": payload.amount }' };
const BUS_ARN = 'arn:aws:events:eu-west-1:123456789012:event-bus/orders';

const count = async () => (await h.call('GET', '/v1/destinations?limit=200')).json().data.length as number;

describe('transform on create and PATCH', () => {
  it('is stored and answered; PATCH replaces it, and null removes it', async () => {
    const created = await h.create({ transform: RENAME });
    expect(created.transform).toEqual(RENAME);
    expect((await h.call('GET', `/v1/destinations/${created.id}`)).json().transform).toEqual(RENAME);

    const payloadOnly = { language: 'jsonata', expression: 'payload' };
    const patched = await h.call('PATCH', `/v1/destinations/${created.id}`, { transform: payloadOnly });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ transform: payloadOnly, config: created.config });
    expect(patched.json().updatedAt > created.updatedAt).toBe(true);

    // A PATCH of something else leaves the transform as it is.
    const renamed = await h.call('PATCH', `/v1/destinations/${created.id}`, { name: 'renamed' });
    expect(renamed.json().transform).toEqual(payloadOnly);

    const removed = await h.call('PATCH', `/v1/destinations/${created.id}`, { transform: null });
    expect(removed.json().transform).toBeNull();
    expect((await h.create()).transform).toBeNull();
  });

  it("refuses an expression that does not parse with a 400 naming transform.expression, the parser's message and position", async () => {
    const before = await count();
    const response = await h.call(
      'POST',
      '/v1/destinations',
      destinationInput({ transform: { language: 'jsonata', expression: 'payload.{ "x": ' } }),
    );
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({
      code: 'validation_failed',
      detail: "The transform's expression has 1 problem.",
      errors: [
        {
          path: 'transform.expression',
          message: 'does not parse at position 15: Expected "}" before end of expression (JSONata S0203)',
        },
      ],
    });
    expect(await count()).toBe(before);
  });

  it('names every problem at once: the config and the expression', async () => {
    const response = await h.call(
      'POST',
      '/v1/destinations',
      destinationInput({ config: { queueUrl: 'nope' }, transform: { language: 'jsonata', expression: '$f(' } }),
    );
    expect(response.statusCode).toBe(400);
    expect(errorPaths(response)).toEqual(['config.queueUrl', 'transform.expression']);
  });

  it.each([
    ['another language', { language: 'jq', expression: '.payload' }, 'transform.language', 'must be "jsonata"'],
    ['no expression', { language: 'jsonata' }, 'transform.expression', 'is required'],
    ['an empty expression', { language: 'jsonata', expression: '' }, 'transform.expression', 'at least 1'],
    ['an unknown field', { ...RENAME, timeoutMs: 5 }, 'transform.timeoutMs', 'is not a known field'],
  ])('refuses %s', async (_case, transform, path, message) => {
    const response = await h.call('POST', '/v1/destinations', destinationInput({ transform }));
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([{ path, message: expect.stringContaining(message) }]);
  });

  it('refuses a PATCH with a broken expression and keeps the stored one', async () => {
    const created = await h.create({ transform: RENAME });
    const response = await h.call('PATCH', `/v1/destinations/${created.id}`, {
      transform: { language: 'jsonata', expression: '"unterminated' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([
      { path: 'transform.expression', message: expect.stringContaining('at position 13') },
    ]);
    const stored = (await h.call('GET', `/v1/destinations/${created.id}`)).json();
    expect(stored.transform).toEqual(RENAME);
    expect(stored.updatedAt).toBe(created.updatedAt);
  });
});

describe('EventBridge destinations', () => {
  it("are created with the bus region and the default DetailType field; source stays the event's unless set", async () => {
    const created = await h.create({ type: 'eventbridge', config: { eventBusArn: BUS_ARN }, transform: RENAME });
    expect(created).toMatchObject({
      type: 'eventbridge',
      config: { eventBusArn: BUS_ARN, region: 'eu-west-1', detailTypeField: 'eventType' },
      transform: RENAME,
    });
    const patched = await h.call('PATCH', `/v1/destinations/${created.id}`, { config: { source: 'com.acme.billing' } });
    expect(patched.json().config).toEqual({
      eventBusArn: BUS_ARN,
      region: 'eu-west-1',
      source: 'com.acme.billing',
      detailTypeField: 'eventType',
    });
    const listed = (await h.call('GET', '/v1/destinations?type=eventbridge')).json();
    expect(listed.data.map((destination: { id: string }) => destination.id)).toContain(created.id);
  });

  it.each([
    ['a queue URL', { queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/q' }, 'config.eventBusArn'],
    ['an aws. source', { eventBusArn: BUS_ARN, source: 'aws.ec2' }, 'config.source'],
    ['a rule ARN', { eventBusArn: 'arn:aws:events:eu-west-1:123456789012:rule/r' }, 'config.eventBusArn'],
  ])('refuses %s', async (_case, config, path) => {
    const response = await h.call('POST', '/v1/destinations', destinationInput({ type: 'eventbridge', config }));
    expect(response.statusCode).toBe(400);
    expect(errorPaths(response)).toContain(path);
  });
});
