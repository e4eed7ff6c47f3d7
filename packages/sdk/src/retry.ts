import type { operations } from './generated/openapi.ts';
import { operationTable } from './generated/operations.ts';
import type { CallOptions, FetchResult, Run } from './operation-types.ts';
import { SluiceProblem } from './problem.ts';

/**
 * Sends a call, and sends it again, after a pause, when that is safe and may help: only for
 * operations the document says are safe to repeat (GETs; ingest, whose events carry idempotency
 * keys), and only on 429 (after its Retry-After), 503, or a network error or timeout.
 */
export interface RetryOptions {
  /** Tries after the first; 0 turns retries off. Default 4. */
  retries?: number;
  /** Backoff: full jitter over `baseDelayMs * 2^n`, capped at `maxDelayMs`. Defaults 250 and 10,000. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A Retry-After longer than this is not waited for: the 429 is thrown. Default 60,000. */
  maxRetryAfterMs?: number;
  /** Each try's own time limit. Default 30,000. */
  timeoutMs?: number;
}

const RETRYABLE_STATUSES = new Set([429, 503]);

/** Retry-After in milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(response: Response, now = Date.now()): number | undefined {
  const value = response.headers.get('retry-after');
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/** fetch rejects with a TypeError when the network fails; our own per-try timeout is a TimeoutError. */
const isTransportFailure = (error: unknown) =>
  error instanceof TypeError || (error instanceof Error && error.name === 'TimeoutError');

async function readBody(result: FetchResult<unknown>): Promise<unknown> {
  if (result.error !== undefined) return result.error;
  return result.response.bodyUsed ? undefined : result.response.text().catch(() => undefined);
}

export function createRun(options: RetryOptions = {}): Run {
  const retries = options.retries ?? 4;
  const baseDelayMs = options.baseDelayMs ?? 250;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const backoff = (attempt: number) => Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);

  return async function run<Data>(
    operationId: keyof operations,
    call: CallOptions | undefined,
    send: (signal: AbortSignal | undefined) => Promise<FetchResult<Data>>,
  ): Promise<Data> {
    const retrySafe = operationTable[operationId].retrySafe;
    const callerSignal = call?.signal;
    for (let attempt = 0; ; attempt++) {
      const mayRetry = retrySafe && attempt < retries && !callerSignal?.aborted;
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
      let result: FetchResult<Data>;
      try {
        result = await send(signal);
      } catch (error) {
        if (mayRetry && !callerSignal?.aborted && isTransportFailure(error)) {
          await sleep(backoff(attempt), callerSignal);
          continue;
        }
        throw error;
      }
      const { response } = result;
      // openapi-fetch parsed the JSON of a 2xx answer; the document (kept equal to the served one by
      // the drift test) is what says it is a Data.
      if (response.ok && result.error === undefined) return result.data as Data;
      if (mayRetry && RETRYABLE_STATUSES.has(response.status)) {
        const wait = retryAfterMs(response) ?? backoff(attempt);
        if (wait <= maxRetryAfterMs) {
          await sleep(wait, callerSignal);
          continue;
        }
      }
      throw SluiceProblem.fromAnswer(operationId, response, await readBody(result));
    }
  };
}
