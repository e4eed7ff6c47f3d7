import { jobCatalog, QUEUE_PREFIX } from '@sluice/jobs/catalog';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startIngestCeiling } from './ceilings.ts';
import type { CostMeter } from './cost.ts';
import type { BenchEnvironment } from './environment.ts';
import { benchBatchJson, benchEventJson, INGEST_CUSTOMER } from './events.ts';
import { type HttpLoadResult, runHttpLoad } from './load.ts';
import { round } from './stats.ts';

/**
 * Ingest: POST /v1/events at 50 connections (requests/s, p50/p99) and POST /v1/events/batch
 * (events/s), against Sluice or against the ceiling server, with the same load generator.
 */

export const INGEST_CONNECTIONS = 50;
export const BATCH_SIZE = 200;
export const BATCH_CONNECTIONS = 8;

export interface IngestDurations {
  warmupSeconds: number;
  singleSeconds: number;
  batchSeconds: number;
}

export interface IngestResult {
  single: HttpLoadResult & { cpuCores: Record<string, number> };
  batch: HttpLoadResult & { eventsPerSecond: number };
}

interface IngestTarget {
  name: string;
  baseUrl: string;
  /** CPU seconds so far per process, read around each measured run. */
  cpu(): Record<string, number>;
}

interface Rounds {
  results: HttpLoadResult[];
  seconds: number;
  cpuBefore: Record<string, number>[];
  cpuAfter: Record<string, number>[];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** Several runs as one: the rate over all of them, the median of their latency percentiles. */
function combine(rounds: Rounds): HttpLoadResult {
  const ok = rounds.results.reduce((sum, r) => sum + r.ok, 0);
  return {
    requestsPerSecond: ok / rounds.seconds,
    p50Ms: median(rounds.results.map((r) => r.p50Ms)),
    p99Ms: median(rounds.results.map((r) => r.p99Ms)),
    maxMs: Math.max(...rounds.results.map((r) => r.maxMs)),
    ok,
    failed: rounds.results.reduce((sum, r) => sum + r.failed, 0),
  };
}

function cpuCores(rounds: Rounds): Record<string, number> {
  const used: Record<string, number> = {};
  rounds.cpuBefore.forEach((before, i) => {
    for (const [name, after] of Object.entries(rounds.cpuAfter[i]!)) {
      // PostgreSQL backends (pg:<pid>, see cost.ts) add up to one figure.
      const key = name.startsWith('pg:') ? 'postgres' : name;
      used[key] = (used[key] ?? 0) + after - (before[name] ?? 0);
    }
  });
  return Object.fromEntries(Object.entries(used).map(([name, seconds]) => [name, round(seconds / rounds.seconds, 2)]));
}

/**
 * Sluice and its ceiling, measured in alternation: `rounds` short runs each, one after the
 * other, so a change in the machine's load (it is shared) weighs on both sides alike and the
 * ratio stays meaningful, which two long runs minutes apart would not be.
 */
export async function measureIngestPair(
  targets: { sluice: IngestTarget; ceiling: IngestTarget },
  headers: Record<string, string>,
  durations: IngestDurations,
  roundCount = 3,
): Promise<{ sluice: IngestResult; ceiling: IngestResult }> {
  const sides = [targets.ceiling, targets.sluice];
  const single = (target: IngestTarget, durationSeconds: number) =>
    runHttpLoad({
      baseUrl: target.baseUrl,
      path: '/v1/events',
      headers,
      body: () => benchEventJson(INGEST_CUSTOMER),
      connections: INGEST_CONNECTIONS,
      durationSeconds,
    });
  const batch = (target: IngestTarget, durationSeconds: number) =>
    runHttpLoad({
      baseUrl: target.baseUrl,
      path: '/v1/events/batch',
      headers,
      body: () => benchBatchJson(INGEST_CUSTOMER, BATCH_SIZE),
      connections: BATCH_CONNECTIONS,
      durationSeconds,
    });
  // A short unmeasured run each first: JIT, pool connections and prepared statements warm up.
  for (const target of sides) await single(target, durations.warmupSeconds);
  const fresh = (): Rounds => ({ results: [], seconds: 0, cpuBefore: [], cpuAfter: [] });
  const singles = new Map(sides.map((target) => [target.name, fresh()]));
  const batches = new Map(sides.map((target) => [target.name, fresh()]));
  for (let i = 0; i < roundCount; i++) {
    for (const [kind, run, seconds] of [
      [singles, single, durations.singleSeconds / roundCount],
      [batches, batch, durations.batchSeconds / roundCount],
    ] as const) {
      for (const target of sides) {
        const rounds = kind.get(target.name)!;
        rounds.cpuBefore.push(target.cpu());
        rounds.results.push(await run(target, seconds));
        rounds.cpuAfter.push(target.cpu());
        rounds.seconds += seconds;
      }
    }
  }
  const resultOf = (target: IngestTarget): IngestResult => {
    const batchResult = combine(batches.get(target.name)!);
    return {
      single: { ...combine(singles.get(target.name)!), cpuCores: cpuCores(singles.get(target.name)!) },
      batch: { ...batchResult, eventsPerSecond: batchResult.requestsPerSecond * BATCH_SIZE },
    };
  };
  return { sluice: resultOf(targets.sluice), ceiling: resultOf(targets.ceiling) };
}

/**
 * Sluice's ingest against its ceiling (ceilings.ts). Sluice is measured like the ceiling: the
 * API alone, with the fan-out queue paused so the worker does not compete for the two cores.
 * The API still wakes the tenant's fan-out as always; afterwards the wake-ups are dropped and
 * the events taken out of the outbox: they are for a customer without destinations and would
 * only delay the next phase.
 */
export async function measureIngest(
  env: BenchEnvironment,
  meter: CostMeter,
  durations: IngestDurations,
): Promise<{ sluice: IngestResult; ceiling: IngestResult }> {
  const ceiling = await startIngestCeiling(env);
  const connection = new Redis(env.redisUrl, { maxRetriesPerRequest: null });
  const fanOut = new Queue(jobCatalog.fanOut.queue, { connection, prefix: QUEUE_PREFIX });
  await fanOut.pause();
  try {
    const cpu = () => meter.cpu({ ceiling: ceiling.pid });
    return await measureIngestPair(
      {
        sluice: { name: 'sluice', baseUrl: env.apiUrl, cpu },
        ceiling: { name: 'ceiling', baseUrl: ceiling.url, cpu },
      },
      env.ingestAuth,
      durations,
    );
  } finally {
    await ceiling.stop();
    await fanOut.obliterate({ force: true });
    await dropIngestEventsFromOutbox(env.databaseUrl);
    await fanOut.resume();
    await fanOut.close();
    connection.disconnect();
  }
}

/**
 * Ingest events are for a customer without destinations: taking them out of the outbox keeps
 * the fan-out from working through hundreds of thousands of no-op events during later phases.
 */
async function dropIngestEventsFromOutbox(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('delete from event_outbox where customer_external_id = $1', [INGEST_CUSTOMER]);
  } finally {
    await client.end();
  }
}
