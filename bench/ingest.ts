import { jobCatalog } from '@sluice/jobs/catalog';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { CostMeter } from './cost.ts';
import type { BenchEnvironment } from './environment.ts';
import { benchBatchJson, benchEventJson, INGEST_CUSTOMER } from './events.ts';
import { type HttpLoadResult, runHttpLoad } from './load.ts';

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

export async function measureIngest(
  baseUrl: string,
  headers: Record<string, string>,
  durations: IngestDurations,
  cpu: { read(): Record<string, number>; cores: CostMeter['cpuCores'] },
): Promise<IngestResult> {
  const single = {
    baseUrl,
    path: '/v1/events',
    headers,
    body: () => benchEventJson(INGEST_CUSTOMER),
    connections: INGEST_CONNECTIONS,
  };
  // A short unmeasured run first: JIT, pool connections and prepared statements warm up.
  await runHttpLoad({ ...single, durationSeconds: durations.warmupSeconds });
  const cpuBefore = cpu.read();
  const singleResult = await runHttpLoad({ ...single, durationSeconds: durations.singleSeconds });
  const cpuCores = cpu.cores(cpuBefore, cpu.read(), durations.singleSeconds);
  const batch = await runHttpLoad({
    baseUrl,
    path: '/v1/events/batch',
    headers,
    body: () => benchBatchJson(INGEST_CUSTOMER, BATCH_SIZE),
    connections: BATCH_CONNECTIONS,
    durationSeconds: durations.batchSeconds,
  });
  return { single: { ...singleResult, cpuCores }, batch: { ...batch, eventsPerSecond: batch.requestsPerSecond * BATCH_SIZE } };
}

/**
 * Sluice's ingest, measured like its ceiling: the API alone, with the fan-out queue paused so
 * the worker does not compete for the two cores. Events still get their fan-out job (the API
 * enqueues it as always); afterwards the jobs are dropped and the events marked fanned out,
 * because they were for a customer without destinations and would only delay the next phase.
 */
export async function measureSluiceIngest(
  env: BenchEnvironment,
  meter: CostMeter,
  durations: IngestDurations,
): Promise<IngestResult> {
  const connection = new Redis(env.redisUrl, { maxRetriesPerRequest: null });
  const fanOut = new Queue(jobCatalog.fanOut.queue, { connection });
  await fanOut.pause();
  try {
    return await measureIngest(env.apiUrl, env.ingestAuth, durations, { read: () => meter.cpu(), cores: meter.cpuCores });
  } finally {
    await fanOut.obliterate({ force: true });
    await markIngestEventsFannedOut(env.databaseUrl);
    await fanOut.resume();
    await fanOut.close();
    connection.disconnect();
  }
}

/**
 * Ingest events are for a customer without destinations: marking them fanned out keeps the
 * sweeper from re-enqueueing hundreds of thousands of no-op fan-outs during later phases.
 */
export async function markIngestEventsFannedOut(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `update events set fanned_out_at = now() where customer_external_id = $1 and fanned_out_at is null`,
      [INGEST_CUSTOMER],
    );
  } finally {
    await client.end();
  }
}
