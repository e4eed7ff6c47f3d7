import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

/**
 * Every queue Sluice uses, with its payload schema and job options. Payloads carry ids
 * only: the truth (and any secret) stays in PostgreSQL, so a flushed Redis loses nothing
 * that the sweeper cannot rebuild.
 */

const uuid = z.uuid();

// Failed jobs are kept (bounded) for inspection; completed ones are dropped because
// PostgreSQL already records the outcome. Job ids are reused by the sweeper, and a kept
// completed job would make BullMQ ignore the re-add.
const keepFailed = { removeOnComplete: true, removeOnFail: { count: 1000 } } satisfies JobsOptions;

export const jobCatalog = {
  fanOut: {
    queue: 'fan-out',
    payload: z.object({ tenantId: uuid, eventId: uuid }),
    options: {
      ...keepFailed,
      attempts: 5,
      backoff: { type: 'exponential', delay: 1_000 },
    } satisfies JobsOptions,
    /** One job per event: a second enqueue of the same event is a no-op. */
    identify: (payload: { eventId: string }): JobsOptions => ({ jobId: `fan-out-${payload.eventId}` }),
  },
  drain: {
    queue: 'drain',
    payload: z.object({ tenantId: uuid, destinationId: uuid }),
    options: {
      ...keepFailed,
      attempts: 3,
      backoff: { type: 'exponential', delay: 1_000 },
    } satisfies JobsOptions,
    /**
     * At most one drain per destination runs at a time, and at most one waits behind it:
     * an enqueue while a drain is active schedules exactly one follow-up, so work that
     * arrives during a drain is never left waiting for the next poll.
     */
    identify: (payload: { destinationId: string }): JobsOptions => ({
      deduplication: { id: `drain-${payload.destinationId}`, keepLastIfActive: true },
    }),
  },
  dlqReplay: {
    queue: 'dlq-replay',
    payload: z.object({ replayId: uuid }),
    options: { ...keepFailed, attempts: 10, backoff: { type: 'exponential', delay: 2_000 } } satisfies JobsOptions,
    identify: (payload: { replayId: string }): JobsOptions => ({ jobId: `dlq-replay-${payload.replayId}` }),
  },
} as const;

export type JobName = keyof typeof jobCatalog;
export type JobPayload<N extends JobName> = z.infer<(typeof jobCatalog)[N]['payload']>;
