import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, makeEvent, messagesOf, ROLE_ARN, sendAll, startHarness, uniqueName } from './harness.ts';

/**
 * What the conformance suite cannot ask of every type: EventBridge takes only a JSON object as
 * Detail, and the fake EventBridge tells which credentials signed each call.
 */

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness?.stop());

const busDestination = (expression?: string) => {
  const eventBusArn = harness.direct.eventBridge.createBus(uniqueName('eventbridge'));
  const transform = expression === undefined ? undefined : { language: 'jsonata' as const, expression };
  return { eventBusArn, destination: harness.configure('eventbridge', { eventBusArn }, transform) };
};

describe('EventBridge', () => {
  it('refuses a transform result that is not a JSON object (Detail must be one), before any call', async () => {
    const { eventBusArn, destination } = busDestination('payload.orderId');
    const before = harness.eventBridgeProxy.requests.length;
    const [outcome] = await sendAll(destination, harness, messagesOf([makeEvent()]));
    expect(outcome).toMatchObject({ ok: false, failure: { code: 'transform_failed', kind: 'permanent' } });
    expect(outcome?.ok === false && outcome.failure.message).toContain(
      'yielded a string; EventBridge takes only a JSON object',
    );
    expect(harness.eventBridgeProxy.requests.length).toBe(before);
    expect(harness.direct.eventBridge.events(eventBusArn)).toEqual([]);
  });

  it('signs PutEvents with the session credentials of the assumed role', async () => {
    const { destination } = busDestination();
    const putEvents = () => harness.direct.eventBridge.calls.filter((call) => call.action === 'PutEvents');
    const before = putEvents().length;
    const outcomes = await sendAll(destination, harness, messagesOf([makeEvent(), makeEvent()]));
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    const used = putEvents().slice(before);
    const issued = harness.emulators.fakeSts.issued.filter((session) => session.roleArn === ROLE_ARN);
    expect(used).toHaveLength(1);
    expect(issued.map((session) => session.accessKeyId)).toContain(used[0]?.accessKeyId);
  });
});
