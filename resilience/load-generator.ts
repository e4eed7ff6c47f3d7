import { randomUUID } from 'node:crypto';

/**
 * A steady event load in lanes: each lane is one FIFO group and posts its events one after
 * another, retrying the same event (same idempotency key) until it is accepted, so the order
 * in which a group's events were accepted is exactly the order they were sent.
 */
export interface AcceptedEvent {
  id: string;
  group: string;
  n: number;
}

export interface LoadResult {
  accepted: AcceptedEvent[];
  /** Requests that did not answer 2xx (API restarting, database stalled): retried, never dropped. */
  retries: number;
  /** 5xx answers among them. */
  serverErrors: number;
  /** How long the slowest request that was not accepted took (a 5xx, a timeout, a reset). */
  slowestRefusalMs: number;
}

export async function runLoad(options: {
  /** Where a lane posts (lanes may be spread over several API processes). */
  baseUrl: (lane: number) => string;
  apiKey: string;
  customerExternalId: string;
  lanes: number;
  durationMs: number;
  pauseMs: number;
}): Promise<LoadResult> {
  const result: LoadResult = { accepted: [], retries: 0, serverErrors: 0, slowestRefusalMs: 0 };
  const stopAt = Date.now() + options.durationMs;

  async function post(lane: number, body: object): Promise<string> {
    // Bounded: an event is given up only if the API stays away for a minute, which fails the test.
    for (let attempt = 0; attempt < 600; attempt++) {
      const started = performance.now();
      try {
        const response = await fetch(`${options.baseUrl(lane)}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        if (response.status === 202 || response.status === 200) return ((await response.json()) as { id: string }).id;
        if (response.status >= 500) result.serverErrors += 1;
        else throw new Error(`event refused: ${response.status} ${await response.text()}`);
      } catch (error) {
        if (error instanceof Error && error.message.startsWith('event refused')) throw error;
      }
      result.slowestRefusalMs = Math.max(result.slowestRefusalMs, performance.now() - started);
      result.retries += 1;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the API did not accept an event within a minute');
  }

  async function lane(index: number) {
    const group = `g${index}`;
    for (let n = 0; Date.now() < stopAt; n++) {
      const id = await post(index, {
        eventType: 'order.updated',
        occurredAt: new Date().toISOString(),
        source: 'resilience',
        customerExternalId: options.customerExternalId,
        idempotencyKey: `${group}-${n}-${randomUUID()}`,
        payload: { group, n },
      });
      result.accepted.push({ id, group, n });
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  }

  await Promise.all(Array.from({ length: options.lanes }, (_, i) => lane(i)));
  return result;
}
