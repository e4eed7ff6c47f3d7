import createClient from 'openapi-fetch';
import type { paths } from './generated/openapi.ts';
import { createOperationMethods, createPageIterators } from './generated/operations.ts';
import type { CallOptions } from './operation-types.ts';
import { paginate } from './pages.ts';
import { createRun, type RetryOptions } from './retry.ts';
import { type EventInput, type SendEventsOptions, sendEvents } from './send-events.ts';

export { SluiceProblem } from './problem.ts';

export interface SluiceOptions {
  /** Where the API is (`https://sluice.example.com`); omit it in a page the API serves itself. */
  baseUrl?: string;
  /**
   * An API key or a portal token, sent as `Authorization: Bearer`. A function is asked before every
   * request: a token the caller keeps in memory and may replace. Omit it for a console cookie session.
   */
  apiKey?: string | (() => string | undefined);
  /** Headers for every request, e.g. `{ 'x-sluice-csrf': '1' }` for a console cookie session. */
  headers?: Record<string, string>;
  /** The fetch to send with (tests, proxies, a cookie jar); default `globalThis.fetch`. */
  fetch?: (request: Request) => Promise<Response>;
  /** Browser fetch credentials; default `same-origin` (the console's cookie). */
  credentials?: RequestInit['credentials'];
  retry?: RetryOptions;
}

/**
 * A client of the Sluice API: one typed method per operation of its OpenAPI document
 * (`sluice.getEvent({ path: { id } })`), `pages` to iterate over lists, and `sendEvents` to send
 * any number of events in batches. Failed calls throw `SluiceProblem`.
 */
export function createSluice(options: SluiceOptions = {}) {
  const client = createClient<paths>({
    baseUrl: (options.baseUrl ?? '').replace(/\/+$/, ''),
    fetch: options.fetch,
    headers: options.headers,
    credentials: options.credentials ?? 'same-origin',
  });
  const { apiKey } = options;
  if (apiKey) {
    client.use({
      onRequest({ request }) {
        const key = typeof apiKey === 'function' ? apiKey() : apiKey;
        if (key) request.headers.set('authorization', `Bearer ${key}`);
      },
    });
  }
  const methods = createOperationMethods(client, createRun(options.retry));
  return {
    ...methods,
    pages: createPageIterators(methods, paginate),
    sendEvents: (events: EventInput[], sendOptions?: SendEventsOptions & CallOptions) =>
      sendEvents(methods.sendEventBatch, events, sendOptions),
  };
}

export type Sluice = ReturnType<typeof createSluice>;
