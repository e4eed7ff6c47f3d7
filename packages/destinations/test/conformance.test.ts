import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stableHash } from '../src/message-encoding.ts';
import { destinationDefinitions } from '../src/registry.ts';
import { conformanceTargets } from './conformance-targets.ts';
import { type Harness, makeEvent, messagesOf, sendAll, startHarness, uniqueName } from './harness.ts';

/**
 * One suite, every destination type: what arrives, per-entry outcomes, limits, and the
 * classification of a missing resource, asserted on the emulator's queue or stream.
 */

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});

afterAll(async () => {
  await harness?.stop();
});

describe.each(conformanceTargets.map((target) => [target.name, target] as const))('%s', (_name, target) => {
  const adapter = destinationDefinitions[target.type];

  async function freshDestination(expression?: string) {
    const created = await target.create(harness.direct, uniqueName(target.type));
    const transform = expression === undefined ? undefined : { language: 'jsonata' as const, expression };
    return { destination: harness.configure(target.type, created.config, transform), read: created.read };
  }

  it('delivers a batch: body is the event JSON, with attributes, group, dedup id or partition key', async () => {
    const { destination, read } = await freshDestination();
    const events = [
      makeEvent({ correlationId: 'req_4f30b2', metadata: { tier: 'pro', seats: 3, trial: false } }),
      makeEvent({ customerExternalId: 'acct_other', idempotencyKey: 'x'.repeat(129) }),
      makeEvent({ idempotencyKey: 'has space (not allowed in a dedup id)' }),
    ];
    const outcomes = await sendAll(
      destination,
      { clients: harness.clients, credentials: harness.credentials },
      messagesOf(events),
    );
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, true, true]);

    const arrived = await read();
    expect(arrived).toHaveLength(3);
    // Standard queues and topics do not promise order: match arrivals to events by id.
    for (const event of events) {
      const message = arrived.find((candidate) => JSON.parse(candidate.body).id === event.id);
      expect(message, `event ${event.id} arrived`).toBeDefined();
      if (!message) continue;
      expect(JSON.parse(message.body)).toEqual(event);
      expect(message.attributes).toEqual(target.expectedAttributes(event));
      if (target.type === 'kinesis') expect(message.partitionKey).toBe(event.customerExternalId);
      if (target.fifo) {
        expect(message.groupId).toBe(event.customerExternalId);
        const validKey = /^[\x21-\x7e]{1,128}$/.test(event.idempotencyKey);
        expect(message.deduplicationId).toBe(validKey ? event.idempotencyKey : stableHash(event.idempotencyKey));
      } else {
        expect(message.groupId).toBeUndefined();
      }
    }
  });

  it('reports one outcome per message, in order, with the provider message id', async () => {
    const { destination } = await freshDestination();
    const messages = messagesOf([makeEvent(), makeEvent(), makeEvent()]);
    const outcomes = await sendAll(
      destination,
      { clients: harness.clients, credentials: harness.credentials },
      messages,
    );
    expect(outcomes.map((outcome) => outcome.deliveryId)).toEqual(messages.map((message) => message.deliveryId));
    for (const outcome of outcomes) {
      expect(outcome.ok && typeof outcome.providerMessageId).toBe('string');
    }
  });

  it.runIf(target.fifo || target.type === 'kinesis')('orders messages of one group as sent', async () => {
    const { destination, read } = await freshDestination();
    const events = Array.from({ length: 5 }, () => makeEvent());
    await sendAll(destination, { clients: harness.clients, credentials: harness.credentials }, messagesOf(events));
    const arrived = await read();
    expect(arrived.map((message) => JSON.parse(message.body).id)).toEqual(events.map((event) => event.id));
  });

  it('reports entries a 200 answer lists as failed, and sends the rest', async () => {
    const { destination, read } = await freshDestination();
    const events = [makeEvent(), makeEvent(), makeEvent()];
    const { key: failedKey, code } = target.partialFailure;
    harness.proxyFor(target.type).inject({
      action: target.batchAction,
      fault: { kind: 'failEntries', select: (keys) => keys.filter((key) => key === failedKey), code },
    });
    const outcomes = await sendAll(
      destination,
      { clients: harness.clients, credentials: harness.credentials },
      messagesOf(events),
    );
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, false, true]);
    const failed = outcomes[1];
    expect(failed?.ok === false && failed.failure).toMatchObject({ kind: 'transient', code });
    const arrivedIds = (await read()).map((message) => JSON.parse(message.body).id).sort();
    expect(arrivedIds).toEqual([events[0]?.id, events[2]?.id].sort());
  });

  it('sends the transform result as the body; attributes, group, dedup id or partition key come from the event', async () => {
    const { destination, read } = await freshDestination(
      '{ "order": payload.orderId, "kind": eventType, "eventId": id, "tier": metadata.tier }',
    );
    const events = [
      makeEvent({ metadata: { tier: 'pro' }, correlationId: 'req_1' }),
      makeEvent({ metadata: { tier: 'free' } }),
    ];
    const outcomes = await sendAll(destination, harness, messagesOf(events));
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, true]);
    const arrived = await read();
    expect(arrived).toHaveLength(2);
    for (const event of events) {
      const message = arrived.find((candidate) => JSON.parse(candidate.body).eventId === event.id);
      expect(message?.body).toBe(
        JSON.stringify({
          order: event.payload.orderId,
          kind: event.eventType,
          eventId: event.id,
          tier: event.metadata?.tier,
        }),
      );
      expect(message?.attributes).toEqual(target.expectedAttributes(event));
      if (target.type === 'kinesis') expect(message?.partitionKey).toBe(event.customerExternalId);
      if (target.fifo) {
        expect(message?.groupId).toBe(event.customerExternalId);
        expect(message?.deduplicationId).toBe(event.idempotencyKey);
      }
    }
  });

  it('refuses only the messages whose transform fails (transform_failed), and sends the others', async () => {
    const { destination, read } = await freshDestination(
      'payload.amount > 0 ? { "order": payload.orderId } : payload.amount = 0 ? $error("no amount for " & payload.orderId) : payload.nothing',
    );
    const events = [
      makeEvent({ payload: { orderId: 'ord_ok', amount: 5 } }),
      makeEvent({ payload: { orderId: 'ord_zero', amount: 0 } }),
      makeEvent({ payload: { orderId: 'ord_negative', amount: -1 } }),
    ];
    const outcomes = await sendAll(destination, harness, messagesOf(events));
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, false, false]);
    expect(outcomes[1]).toMatchObject({
      ok: false,
      failure: { category: 'transform_failed', kind: 'permanent', code: 'transform_failed' },
    });
    expect(outcomes[1]?.ok === false && outcomes[1].failure.message).toContain('no amount for ord_zero');
    expect(outcomes[2]?.ok === false && outcomes[2].failure.message).toContain('yielded nothing');
    expect((await read()).map((message) => message.body)).toEqual(['{"order":"ord_ok"}']);
  });

  it('checks the size of the transformed body, not of the event', async () => {
    const { destination, read } = await freshDestination('$ ~> | payload | {}, ["blob"] |');
    const big = makeEvent({ payload: { orderId: 'ord_big', blob: 'b'.repeat(adapter.limits.maxMessageBytes) } });
    const [outcome] = await sendAll(destination, harness, messagesOf([big]));
    expect(outcome?.ok).toBe(true);
    expect(JSON.parse((await read())[0]?.body ?? '{}').payload).toEqual({ orderId: 'ord_big' });

    const { destination: inflating } = await freshDestination('{ "padded": $pad("", 3000) }');
    const [tooLarge] = await sendAll(inflating, harness, messagesOf([makeEvent()]), 2_048);
    expect(tooLarge).toMatchObject({ ok: false, failure: { code: 'payload_too_large' } });
  });

  it('splits into calls within the entry and byte limits', async () => {
    const { destination, read } = await freshDestination();
    const proxy = harness.proxyFor(target.type);
    const { maxEntries, maxBatchBytes, maxMessageBytes } = adapter.limits;

    const overEntries = messagesOf(Array.from({ length: maxEntries + 1 }, () => makeEvent()));
    const before = proxy.requests.filter((request) => request.action === target.batchAction).length;
    const entryOutcomes = await sendAll(
      destination,
      { clients: harness.clients, credentials: harness.credentials },
      overEntries,
    );
    expect(entryOutcomes.every((outcome) => outcome.ok)).toBe(true);

    // Messages that fit one by one but not all together in one call.
    const size = Math.floor(Math.min(maxMessageBytes * 0.9, maxBatchBytes / 3));
    const count = Math.floor(maxBatchBytes / size) + 1;
    const large = messagesOf(
      Array.from({ length: count }, () => makeEvent({ payload: { blob: 'b'.repeat(size - 600) } })),
    );
    const largeOutcomes = await sendAll(
      destination,
      { clients: harness.clients, credentials: harness.credentials },
      large,
    );
    expect(largeOutcomes.every((outcome) => outcome.ok)).toBe(true);

    const calls = proxy.requests.filter((request) => request.action === target.batchAction).length - before;
    expect(calls).toBe(4);
    expect(await read()).toHaveLength(overEntries.length + large.length);
  });

  it('splits a call the provider refuses as too large as a whole, and sends every entry', async () => {
    const { destination, read } = await freshDestination();
    const proxy = harness.proxyFor(target.type);
    proxy.inject({ action: target.batchAction, fault: { kind: 'error', status: 400, ...target.batchTooLarge } });
    const before = proxy.requests.filter((request) => request.action === target.batchAction).length;
    const events = Array.from({ length: 4 }, () => makeEvent());
    const outcomes = await sendAll(destination, harness, messagesOf(events));
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, true, true, true]);
    // The refused call, then its two halves.
    expect(proxy.requests.filter((request) => request.action === target.batchAction).length - before).toBe(3);
    const arrived = (await read()).map((message) => JSON.parse(message.body).id);
    expect(arrived.sort()).toEqual(events.map((event) => event.id).sort());
  });

  it('refuses a message over the size limit without sending it', async () => {
    const { destination, read } = await freshDestination();
    const proxy = harness.proxyFor(target.type);
    const tooBig = makeEvent({ payload: { blob: 'b'.repeat(adapter.limits.maxMessageBytes) } });
    const fine = makeEvent();
    const before = proxy.requests.length;
    const outcomes = await sendAll(
      destination,
      { clients: harness.clients, credentials: harness.credentials },
      messagesOf([tooBig, fine]),
    );
    expect(outcomes[0]).toMatchObject({ ok: false, failure: { kind: 'permanent', code: 'payload_too_large' } });
    expect(outcomes[1]?.ok).toBe(true);
    expect(proxy.requests.length - before).toBe(1);
    expect((await read()).map((message) => JSON.parse(message.body).id)).toEqual([fine.id]);

    // A destination that accepts less than the provider's maximum (read by probe) is honoured too.
    const smaller = makeEvent({ payload: { blob: 'b'.repeat(3_000) } });
    const [limited] = await sendAll(
      destination,
      { clients: harness.clients, credentials: harness.credentials },
      messagesOf([smaller]),
      2_048,
    );
    expect(limited).toMatchObject({ ok: false, failure: { code: 'payload_too_large' } });
  });

  it('classifies a missing queue, topic or stream as permanent, naming it', async () => {
    const config = target.missingConfig(harness.direct, uniqueName(target.type));
    const destination = harness.configure(target.type, config);
    const outcomes = await sendAll(
      destination,
      { clients: harness.clients, credentials: harness.credentials },
      messagesOf([makeEvent(), makeEvent()]),
    );
    for (const outcome of outcomes) {
      expect(outcome.ok).toBe(false);
      if (outcome.ok) continue;
      expect(outcome.failure.kind).toBe('permanent');
      expect(target.missingCodes).toContain(outcome.failure.code);
      expect(outcome.failure.message).toContain(destination.resourceName.split(':').pop()?.split('/').pop() ?? '');
    }
  });

  it('probes the destination: FIFO-ness matches and the size limit is reported', async () => {
    const { destination } = await freshDestination();
    const probe = await destination.probe({ clients: harness.clients, credentials: harness.credentials });
    expect(probe.ok).toBe(true);
    expect(probe.checks).toEqual([expect.objectContaining({ name: 'attributes', ok: true })]);
    expect(probe.maxMessageBytes).toBe(adapter.limits.maxMessageBytes);
    expect(destination.isFifo).toBe(target.fifo);
  });
});
