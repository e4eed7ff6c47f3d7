import type { operations } from './generated/openapi.ts';
import type { OperationMethods } from './generated/operations.ts';

/** The types the generated method table is written in, derived from the generated `operations`. */

type Operation<K extends keyof operations> = operations[K];

type BodyInput<O> = O extends { requestBody: { content: { 'application/json': infer Body } } }
  ? { body: Body }
  : O extends { requestBody?: { content: { 'application/json': infer Body } } }
    ? { body?: Body }
    : { body?: never };

/**
 * What a method takes: `{ path, query, body }` as the operation has them, e.g.
 * `getEvent({ path: { id } })`, `listEvents({ query: { limit: 20 } })`, `createTenant({ body: { name } })`.
 */
export type OperationInput<K extends keyof operations> = Pick<Operation<K>['parameters'], 'path' | 'query'> &
  BodyInput<Operation<K>>;

/** What a method answers (the JSON of the operation's 2xx answer as openapi-fetch reads it; undefined for 204). */
export type OperationOutput<K extends keyof OperationMethods> = Awaited<ReturnType<OperationMethods[K]>>;

export interface CallOptions {
  /** Cancels the call, retries included. */
  signal?: AbortSignal;
}

/** What openapi-fetch answers for one request. */
export interface FetchResult<Data> {
  data?: Data;
  error?: unknown;
  response: Response;
}

/** Sends one operation's request (again, on a retry) and answers its data or throws SluiceProblem. */
export type Run = <Data>(
  operationId: keyof operations,
  options: CallOptions | undefined,
  send: (signal: AbortSignal | undefined) => Promise<FetchResult<Data>>,
) => Promise<Data>;

export interface Page<Item> {
  data: Item[];
  nextCursor: string | null;
}

/** Pages of a list, in order, and their items one by one. */
export interface PageIterator<Item> extends AsyncIterable<Page<Item>> {
  items(): AsyncIterable<Item>;
}

export type Paginate = <Item>(fetchPage: (cursor: string | undefined) => Promise<Page<Item>>) => PageIterator<Item>;
