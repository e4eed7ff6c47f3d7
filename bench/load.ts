import { createRequire } from 'node:module';

/**
 * autocannon, typed for what the bench uses (it ships no types). It runs in the bench
 * process; every figure and its ceiling are measured with the same load generator, so its
 * own CPU use costs both sides alike.
 */

interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: AutocannonRequest) => AutocannonRequest;
}

interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  overallRate?: number;
  requests: AutocannonRequest[];
}

interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  requests: { total: number; average: number };
}

type Autocannon = (options: AutocannonOptions) => Promise<AutocannonResult>;

function loadAutocannon(): Autocannon {
  const loaded: unknown = createRequire(import.meta.url)('autocannon');
  if (typeof loaded !== 'function') throw new Error('autocannon did not export a function');
  return loaded as Autocannon;
}
const autocannon = loadAutocannon();

export interface HttpLoad {
  baseUrl: string;
  path: string;
  headers: Record<string, string>;
  /** A new body per request (unique idempotency keys). */
  body: () => string;
  connections: number;
  durationSeconds: number;
  /** Requests per second over all connections; none: as fast as answers come. */
  overallRate?: number;
}

export interface HttpLoadResult {
  /** Answers with a 2xx status per second over the run. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  ok: number;
  failed: number;
}

export async function runHttpLoad(load: HttpLoad): Promise<HttpLoadResult> {
  const result = await autocannon({
    url: load.baseUrl,
    connections: load.connections,
    duration: load.durationSeconds,
    ...(load.overallRate ? { overallRate: load.overallRate } : {}),
    requests: [
      {
        method: 'POST',
        path: load.path,
        headers: { 'content-type': 'application/json', ...load.headers },
        setupRequest: (request) => ({ ...request, body: load.body() }),
      },
    ],
  });
  return {
    requestsPerSecond: result['2xx'] / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    ok: result['2xx'],
    failed: result.non2xx + result.errors + result.timeouts,
  };
}
