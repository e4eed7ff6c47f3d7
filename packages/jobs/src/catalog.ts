import type { JobsOptions, WorkerOptions } from 'bullmq';
import { z } from 'zod';

/**
 * Every queue Sluice uses: its payload schema, job options and worker options. Payloads carry
 * ids only: the truth (and any secret) stays in PostgreSQL, so a flushed Redis loses nothing
 * that the sweeper cannot rebuild. Redis holds wake-ups, nothing else.
 */

/**
 * All of Sluice's keys share one hash tag, so a Redis Cluster serves them from one slot (BullMQ's
 * scripts touch several keys of a queue at once).
 */
export const QUEUE_PREFIX = '{sluice}';

const uuid = z.uuid();

// Failed jobs are kept (bounded) for inspection; completed ones are dropped because
// PostgreSQL already records the outcome.
const keepFailed = { removeOnComplete: true, removeOnFail: { count: 1000 } } satisfies JobsOptions;

/**
 * At most one job per key runs at a time, and at most one waits behind it: a wake-up while one
 * runs schedules exactly one follow-up, so work that arrives meanwhile is never left waiting.
 */
const oneAtATime = (id: string): JobsOptions => ({ deduplication: { id, keepLastIfActive: true } });

// A worker that died holds its keys' deduplication until BullMQ sees the job stalled: keep that
// short, and let a job stall any number of times (PostgreSQL's leases guard against double work).
const quickStalls = {
  lockDuration: 10_000,
  stalledInterval: 5_000,
  maxStalledCount: 1_000,
} satisfies Partial<WorkerOptions>;

export const jobCatalog = {
  /** A tenant's accepted events to fan out: woken by the API, the sweeper, or itself when time ran out. */
  fanOut: {
    queue: 'fan-out',
    payload: z.object({ tenantId: uuid }),
    options: { ...keepFailed, attempts: 10, backoff: { type: 'exponential', delay: 1_000 } } satisfies JobsOptions,
    identify: (payload: { tenantId: string }) => oneAtATime(`fan-out-${payload.tenantId}`),
    worker: { concurrency: 8, ...quickStalls },
  },
  /** A destination's due deliveries to send. */
  drain: {
    queue: 'drain',
    payload: z.object({ tenantId: uuid, destinationId: uuid }),
    options: { ...keepFailed, attempts: 3, backoff: { type: 'exponential', delay: 1_000 } } satisfies JobsOptions,
    identify: (payload: { destinationId: string }) => oneAtATime(`drain-${payload.destinationId}`),
    worker: { concurrency: 16, ...quickStalls },
  },
  /**
   * A bulk replay, a slice at a time: each run replays for about a second and goes to the back
   * of the queue, so replays (and tenants: see the worker's tenant shares) take turns.
   */
  dlqReplay: {
    queue: 'dlq-replay',
    payload: z.object({ replayId: uuid }),
    options: { ...keepFailed, attempts: 10, backoff: { type: 'exponential', delay: 2_000 } } satisfies JobsOptions,
    identify: (payload: { replayId: string }) => oneAtATime(`dlq-replay-${payload.replayId}`),
    worker: { concurrency: 4, ...quickStalls },
  },
  /** Work on a destination's whole backlog: dead-letter after DELETE, expire while disabled, regroup. */
  maintenance: {
    queue: 'destination-maintenance',
    payload: z.object({ tenantId: uuid, destinationId: uuid, task: z.enum(['purge', 'expire', 'regroup']) }),
    options: { ...keepFailed, attempts: 20, backoff: { type: 'exponential', delay: 2_000 } } satisfies JobsOptions,
    identify: (payload: { destinationId: string; task: string }) =>
      oneAtATime(`maintenance-${payload.task}-${payload.destinationId}`),
    worker: { concurrency: 2, ...quickStalls },
  },
} as const;

export type JobName = keyof typeof jobCatalog;
export type JobPayload<N extends JobName> = z.infer<(typeof jobCatalog)[N]['payload']>;

/** Each queue's payload schema, typed per name (so a worker parses into exactly its payload). */
const payloadSchemas: { [N in JobName]: z.ZodType<JobPayload<N>> } = {
  fanOut: jobCatalog.fanOut.payload,
  drain: jobCatalog.drain.payload,
  dlqReplay: jobCatalog.dlqReplay.payload,
  maintenance: jobCatalog.maintenance.payload,
};

export function parsePayload<N extends JobName>(name: N, data: unknown): JobPayload<N> {
  const schema: z.ZodType<JobPayload<N>> = payloadSchemas[name];
  return schema.parse(data);
}
