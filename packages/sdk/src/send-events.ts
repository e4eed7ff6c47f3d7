import type { CallOptions, OperationInput, OperationOutput } from './operation-types.ts';
import { SluiceProblem } from './problem.ts';

export type EventInput = OperationInput<'sendEvent'>['body'];
export type BatchResult = OperationOutput<'sendEventBatch'>['results'][number];

export interface SendEventsResult {
  /** One per event, in the order given; `index` is the event's position in the whole list. */
  results: BatchResult[];
  accepted: number;
  duplicates: number;
  rejected: number;
  /** How many batch requests were sent. */
  requests: number;
}

export interface SendEventsOptions extends CallOptions {
  /** Events per request: at most 500 (the API's limit), the default. */
  batchSize?: number;
  /** Bytes of JSON per request, below the API's 1 MiB body limit. Default 900 KiB. */
  maxBatchBytes?: number;
}

export const MAX_BATCH_EVENTS = 500;
const DEFAULT_MAX_BATCH_BYTES = 900 * 1024;
const encoder = new TextEncoder();

type SendBatch = (
  input: OperationInput<'sendEventBatch'>,
  options?: CallOptions,
) => Promise<OperationOutput<'sendEventBatch'>>;

/** Consecutive runs of events that fit one request each, by count and by bytes. */
function chunk(events: EventInput[], batchSize: number, maxBytes: number): { start: number; events: EventInput[] }[] {
  const chunks: { start: number; events: EventInput[] }[] = [];
  let current: EventInput[] = [];
  let bytes = 0;
  let start = 0;
  events.forEach((event, index) => {
    const size = encoder.encode(JSON.stringify(event)).length + 1;
    if (current.length > 0 && (current.length >= batchSize || bytes + size > maxBytes)) {
      chunks.push({ start, events: current });
      current = [];
      bytes = 0;
      start = index;
    }
    current.push(event);
    bytes += size;
  });
  if (current.length > 0) chunks.push({ start, events: current });
  return chunks;
}

/**
 * Sends any number of events as batch requests of up to 500 (and under the body limit), one
 * after another so they are accepted in the order given, and merges the per-event results.
 * Each request is retried on 429, 503 and network errors (the events' idempotency keys make that
 * safe); an event alone too large for a request is reported rejected, the others still go. A
 * request that still fails throws: sending the same events again is safe.
 */
export async function sendEvents(
  sendBatch: SendBatch,
  events: EventInput[],
  options: SendEventsOptions = {},
): Promise<SendEventsResult> {
  const batchSize = Math.min(options.batchSize ?? MAX_BATCH_EVENTS, MAX_BATCH_EVENTS);
  const chunks = chunk(events, batchSize, options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES);
  const results: BatchResult[] = [];
  for (const { start, events: batch } of chunks) {
    try {
      const answer = await sendBatch({ body: { events: batch } }, { signal: options.signal });
      for (const result of answer.results) results.push({ ...result, index: start + result.index });
    } catch (error) {
      if (!(error instanceof SluiceProblem && error.status === 413 && batch.length === 1)) throw error;
      results.push({
        index: start,
        status: 'rejected',
        errors: [{ path: '', message: error.detail, code: error.code }],
      });
    }
  }
  const count = (status: BatchResult['status']) => results.filter((result) => result.status === status).length;
  return {
    results,
    accepted: count('accepted'),
    duplicates: count('duplicate'),
    rejected: count('rejected'),
    requests: chunks.length,
  };
}
