import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * EventBridge destinations through the real API and workers, the fake EventBridge behind the
 * fault proxy: what arrives on the bus, a failed entry resent on its own, a permanent refusal
 * dead-lettered with the action to allow.
 */

let fx: DeliveryFixture;
beforeAll(async () => {
  fx = await startDeliveryFixture({ faults: true });
});
afterAll(() => fx.close());

const api = (method: 'GET' | 'POST', url: string) => fx.stack.app.inject({ method, url, headers: fx.auth });
const deliveriesOf = async (destinationId: string) =>
  (await api('GET', `/v1/deliveries?destinationId=${destinationId}`)).json().data as Array<{
    status: string;
    attempts: number;
    lastError: { code: string; message: string } | null;
  }>;
const arrivedOn = (eventBusArn: string, count: number) =>
  waitFor(async () => {
    const events = fx.aws.eventBridge.events(eventBusArn);
    return events.length >= count ? events : undefined;
  }, 20_000);

describe('delivery to an EventBridge bus', () => {
  it('puts each event on the bus: Detail is the event JSON, Source and DetailType as configured, one delivery each', async () => {
    const bus = await fx.eventBridgeDestination('orders', {
      config: { source: 'com.acme.billing', detailTypeField: 'payload.kind' },
    });
    const first = await bus.post({ payload: { kind: 'OrderCompleted', orderId: 'o1' } });
    const second = await bus.post({ payload: { orderId: 'o2' } });
    const events = await arrivedOn(bus.eventBusArn, 2);
    const byId = new Map(events.map((event) => [(event.detail as { id: string }).id, event]));
    expect(byId.get(first)).toMatchObject({
      source: 'com.acme.billing',
      'detail-type': 'OrderCompleted',
      detail: { id: first, eventType: 'order.completed', payload: { kind: 'OrderCompleted', orderId: 'o1' } },
    });
    // No such field in the event: its eventType.
    expect(byId.get(second)?.['detail-type']).toBe('order.completed');
    await waitFor(async () => (await deliveriesOf(bus.id)).every((delivery) => delivery.status === 'delivered'));
    const signers = fx.aws.eventBridge.calls
      .filter((call) => call.action === 'PutEvents')
      .map((call) => call.accessKeyId);
    const sessions = fx.emulators.fakeSts.issued.map((session) => session.accessKeyId);
    expect(signers.every((key) => key !== undefined && sessions.includes(key))).toBe(true);
  });

  it('resends only the entry EventBridge failed (ThrottlingException), never the others', async () => {
    const bus = await fx.eventBridgeDestination('partial');
    await api('POST', `/v1/destinations/${bus.id}/pause`);
    const ids: string[] = [];
    for (let n = 0; n < 4; n++) ids.push(await bus.post());
    await waitFor(async () => (await deliveriesOf(bus.id)).length === 4);
    fx.eventBridgeProxy!.inject({
      action: 'PutEvents',
      fault: { kind: 'failEntries', select: (keys) => keys.slice(1, 2), code: 'ThrottlingException' },
    });
    await api('POST', `/v1/destinations/${bus.id}/resume`);
    const events = await arrivedOn(bus.eventBusArn, 4);
    await waitFor(async () => (await deliveriesOf(bus.id)).every((delivery) => delivery.status === 'delivered'));
    expect(events.map((event) => (event.detail as { id: string }).id).sort()).toEqual([...ids].sort());
    expect((await deliveriesOf(bus.id)).map((delivery) => delivery.attempts).sort()).toEqual([1, 1, 1, 2]);
  });

  it('dead-letters an entry the bus refuses for good, naming events:PutEvents and the bus', async () => {
    const bus = await fx.eventBridgeDestination('denied');
    fx.eventBridgeProxy!.inject({
      action: 'PutEvents',
      fault: { kind: 'error', status: 400, code: 'AccessDeniedException' },
    });
    await bus.post();
    const [entry] = await waitFor(async () => {
      const list = (await api('GET', `/v1/dlq?destinationId=${bus.id}`)).json();
      return list.data.length > 0 ? list.data : undefined;
    });
    expect(entry).toMatchObject({ reason: 'permanent_error', lastError: { code: 'AccessDeniedException' } });
    expect(entry.lastError.message).toContain(`cannot events:PutEvents on the event bus ${bus.eventBusArn}`);
    expect(fx.aws.eventBridge.events(bus.eventBusArn)).toEqual([]);
  });
});
