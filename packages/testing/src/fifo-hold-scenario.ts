import type { Message } from '@aws-sdk/client-sqs';
import type { DeliveryFixture, RegisteredDestination } from './delivery-fixture.ts';
import { waitFor } from './stack.ts';

/**
 * The FIFO dead-letter scenario shared by the hold tests: three groups (a, b, c) of one
 * destination, whose message b1 dies permanently. The death is real: the destination's
 * transform raises an error for a poisoned event (transform_failed, a permanent dead letter);
 * PATCHing the transform away is the customer's fix, after which a replay delivers it.
 */

export const POISON = {
  language: 'jsonata',
  expression: 'payload.poison ? $error("poisoned message") : $',
} as const;

export const GROUPS = ['a', 'b', 'c'] as const;

export interface Arrival {
  group: string;
  n: number;
  dedupId: string | undefined;
}

export const arrivals = (messages: Message[]): Arrival[] =>
  messages.map((message) => {
    const body = JSON.parse(message.Body ?? '{}') as { payload: { group: string; n: number } };
    return { group: body.payload.group, n: body.payload.n, dedupId: message.Attributes?.MessageDeduplicationId };
  });

export const turnsOf = (arrived: Arrival[], group: string) => arrived.filter((a) => a.group === group).map((a) => a.n);

export function scenario(fx: DeliveryFixture) {
  const api = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    fx.stack.app.inject({ method, url, headers: fx.auth, ...(payload ? { payload } : {}) });
  const keys = new Map<string, string>();

  return {
    api,
    /** The idempotency key (so the MessageDeduplicationId) of message n of a group. */
    keyOf: (group: string, n: number) => keys.get(`${group}${n}`),

    /**
     * Messages from..to of every group, interleaved (a1 b1 c1 a2 ...), b1 poisoned; answers once
     * each has its delivery (the destination may be paused).
     */
    async post(destination: RegisteredDestination, from: number, to: number): Promise<void> {
      for (let n = from; n <= to; n++) {
        for (const group of GROUPS) {
          const key = `${destination.id}-${group}${n}`;
          keys.set(`${group}${n}`, key);
          await destination.post({ idempotencyKey: key, payload: { group, n, poison: group === 'b' && n === 1 } });
        }
      }
      const expected = (to - from + 1) * GROUPS.length;
      await waitFor(async () => {
        const { rows } = await fx.stack.database.pool.query(
          `select count(*)::int as n from deliveries d join events e on e.id = d.event_id
           where d.destination_id = $1 and (e.payload->>'n')::int between $2 and $3`,
          [destination.id, from, to],
        );
        return rows[0].n === expected;
      }, 20_000);
    },

    /** b1's dead-letter entry, once it is there. */
    deadHead: (destinationId: string) =>
      waitFor(async () => {
        const list = (await api('GET', `/v1/dlq?destinationId=${destinationId}`)).json();
        return list.data.find((entry: { state: string }) => entry.state === 'open');
      }, 20_000),

    /** The customer's fix: the transform that poisons b1 goes. */
    fix: (destinationId: string) => api('PATCH', `/v1/destinations/${destinationId}`, { transform: null }),

    /** Group b's pending deliveries as the API shows them. */
    async pendingOfGroupB(destinationId: string) {
      const list = (await api('GET', `/v1/deliveries?destinationId=${destinationId}&status=pending&limit=200`)).json();
      const { rows } = await fx.stack.database.pool.query(
        'select id from deliveries where destination_id = $1 and ordering_key = $2',
        [destinationId, 'b'],
      );
      const ofB = new Set(rows.map((row: { id: string }) => row.id));
      return list.data.filter((delivery: { id: string }) => ofB.has(delivery.id));
    },
  };
}
