import { collectMessages } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Numbers in payload and metadata keep every digit (API.md, Conventions): through the request
 * parser, PostgreSQL, the idempotency hash, reads, and the message a destination receives.
 */
let fx: DeliveryFixture;
beforeAll(async () => {
  fx = await startDeliveryFixture();
});
afterAll(() => fx.close());

// Each of these prints differently once it has been through a double.
const exact = {
  beyond2to53: '9007199254740993',
  negative: '-98765432109876543210987',
  decimal: '0.12345678901234567890123',
  huge: '1e400',
};
const payloadText = `{"orderId":"ord_1","big":${exact.beyond2to53},"nested":{"list":[${exact.negative},1.5,${exact.decimal}]},"huge":${exact.huge},"plain":12900}`;
const metadataText = `{"accountNumber":${exact.beyond2to53},"tier":"pro","ratio":0.25}`;

function rawEvent(customerExternalId: string, idempotencyKey: string, payload = payloadText): string {
  return `{"eventType":"order.completed","occurredAt":"2026-05-26T14:21:08.493Z","source":"billing",
    "customerExternalId":"${customerExternalId}","idempotencyKey":"${idempotencyKey}",
    "payload":${payload},"metadata":${metadataText}}`;
}

const post = (body: string) =>
  fx.stack.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { ...fx.auth, 'content-type': 'application/json' },
    payload: body,
  });

/** The digits as they appear in answer text (jsonb writes 1e400 out in full). */
const expectDigits = (text: string) => {
  expect(text).toContain(`"big":${exact.beyond2to53}`);
  expect(text).toContain(`[${exact.negative},1.5,${exact.decimal}]`);
  expect(text).toContain(`"huge":1${'0'.repeat(400)}`);
  expect(text).toContain(`"plain":12900`);
  expect(text).toContain(`"accountNumber":${exact.beyond2to53}`);
};

describe('numbers beyond a double', () => {
  it('are stored, read back and delivered digit for digit', async () => {
    const { queueUrl, customerExternalId } = await fx.sqsDestination('exact-numbers');
    const accepted = await post(rawEvent(customerExternalId, 'exact-1'));
    expect(accepted.statusCode, accepted.body).toBe(202);
    const { id } = accepted.json();

    const { rows } = await fx.stack.database.pool.query(
      `select payload->>'big' as big, payload#>>'{nested,list,0}' as negative, metadata->>'accountNumber' as account
       from events where id = $1`,
      [id],
    );
    expect(rows[0]).toEqual({ big: exact.beyond2to53, negative: exact.negative, account: exact.beyond2to53 });

    const read = await fx.stack.app.inject({ method: 'GET', url: `/v1/events/${id}`, headers: fx.auth });
    expect(read.statusCode).toBe(200);
    expectDigits(read.body);
    const listed = await fx.stack.app.inject({
      method: 'GET',
      url: `/v1/events?customerExternalId=${customerExternalId}`,
      headers: fx.auth,
    });
    expectDigits(listed.body);

    const [message] = await collectMessages(fx.aws.sqs, queueUrl, 1, { timeoutMs: 15_000 });
    expectDigits(message!.Body!);
  });

  it('count in the idempotency check: a repeat is a duplicate, a change past the 16th digit a conflict', async () => {
    const first = await post(rawEvent('exact-idem', 'exact-2'));
    expect(first.statusCode).toBe(202);
    const again = await post(rawEvent('exact-idem', 'exact-2'));
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: first.json().id, duplicate: true });
    // The same value written another way is the same body.
    const sameValue = await post(
      rawEvent('exact-idem', 'exact-2', payloadText.replace(exact.beyond2to53, '9.007199254740993e15')),
    );
    expect(sameValue.statusCode).toBe(200);
    // 9007199254740992 and ...993 are one and the same double.
    const changed = await post(
      rawEvent('exact-idem', 'exact-2', payloadText.replace(exact.beyond2to53, '9007199254740992')),
    );
    expect(changed.statusCode).toBe(409);
    expect(changed.json().code).toBe('idempotency_conflict');
  });

  it('group FIFO messages by the exact value of a numeric group field', async () => {
    const { queueUrl, customerExternalId } = await fx.sqsDestination('exact-groups.fifo', {
      config: { messageGroupIdField: 'payload.big' },
    });
    expect((await post(rawEvent(customerExternalId, 'exact-3'))).statusCode).toBe(202);
    const [message] = await collectMessages(fx.aws.sqs, queueUrl, 1, { timeoutMs: 15_000 });
    expect(message!.Attributes?.MessageGroupId).toBe(exact.beyond2to53);
  });

  it('in a batch keep their digits too', async () => {
    const body = `{"events":[${rawEvent('exact-batch', 'exact-4')}]}`;
    const answer = await fx.stack.app.inject({
      method: 'POST',
      url: '/v1/events/batch',
      headers: { ...fx.auth, 'content-type': 'application/json' },
      payload: body,
    });
    expect(answer.statusCode).toBe(200);
    const [result] = answer.json().results;
    expect(result.status).toBe('accepted');
    const read = await fx.stack.app.inject({ method: 'GET', url: `/v1/events/${result.id}`, headers: fx.auth });
    expectDigits(read.body);
  });
});
