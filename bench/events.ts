/**
 * The events the bench sends: the canonical event of API.md, about 400 bytes of JSON, with
 * an idempotency key unique per run so no request of one phase is a duplicate of another.
 */

export const INGEST_CUSTOMER = 'bench-ingest';
export const STANDARD_CUSTOMER = 'bench-standard';
export const FIFO_CUSTOMER = 'bench-fifo';
/** FIFO message groups: the destination's messageGroupIdField points at payload.accountId. */
export const FIFO_GROUPS = 1_000;

const runTag = Date.now().toString(36);
let sequence = 0;

export function benchEvent(customerExternalId: string): Record<string, unknown> {
  const n = ++sequence;
  return {
    eventType: 'order.completed',
    occurredAt: new Date().toISOString(),
    source: 'billing-service',
    customerExternalId,
    idempotencyKey: `bench-${runTag}-${n}`,
    correlationId: `req_${n}`,
    payload: { orderId: `ord_${n}`, accountId: `acct_${n % FIFO_GROUPS}`, amount: 12_900, currency: 'EUR' },
    metadata: { tier: 'pro', region: 'us-east-1' },
  };
}

export const benchEventJson = (customerExternalId: string) => JSON.stringify(benchEvent(customerExternalId));

export const benchBatchJson = (customerExternalId: string, size: number) =>
  JSON.stringify({ events: Array.from({ length: size }, () => benchEvent(customerExternalId)) });
