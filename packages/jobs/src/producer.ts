import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { type JobName, type JobPayload, jobCatalog } from './catalog.ts';

/** Typed enqueueing for every queue of the catalog, over one shared connection. */
export function createJobProducer(connection: Redis) {
  const queues = new Map<string, Queue>();
  const queueFor = (name: JobName): Queue => {
    const { queue } = jobCatalog[name];
    let found = queues.get(queue);
    if (!found) {
      // skipWaitingForReady: an HTTP request must not wait on a Redis that is down.
      found = new Queue(queue, { connection, skipWaitingForReady: true });
      // Errors surface on each add(); without a listener they would crash the process.
      found.on('error', () => {});
      queues.set(queue, found);
    }
    return found;
  };

  /** One round trip for many events (the batch endpoint). */
  async function enqueueFanOuts(payloads: JobPayload<'fanOut'>[]): Promise<void> {
    const entry = jobCatalog.fanOut;
    await queueFor('fanOut').addBulk(
      payloads.map((payload) => ({
        name: 'fan-out',
        data: entry.payload.parse(payload),
        opts: { ...entry.options, jobId: entry.jobId(payload) },
      })),
    );
  }

  async function enqueueDrains(payloads: JobPayload<'drain'>[]): Promise<void> {
    if (payloads.length === 0) return;
    const entry = jobCatalog.drain;
    await queueFor('drain').addBulk(
      payloads.map((payload) => ({
        name: 'drain',
        data: entry.payload.parse(payload),
        opts: { ...entry.options, deduplication: entry.deduplication(payload) },
      })),
    );
  }

  async function enqueueDlqReplays(payloads: JobPayload<'dlqReplay'>[]): Promise<void> {
    const entry = jobCatalog.dlqReplay;
    await queueFor('dlqReplay').addBulk(
      payloads.map((payload) => ({
        name: 'dlq-replay',
        data: entry.payload.parse(payload),
        opts: { ...entry.options, jobId: entry.jobId(payload) },
      })),
    );
  }

  return {
    queueFor,
    enqueueDlqReplays,
    enqueueFanOuts,
    enqueueDrains,

    /**
     * The sweeper's re-enqueue: adds the jobs Redis no longer has (a flush, a crash before
     * enqueue) and retries the ones that failed for good; jobs still waiting are left alone.
     */
    async requeueFanOuts(payloads: JobPayload<'fanOut'>[]): Promise<{ added: number; retried: number }> {
      const entry = jobCatalog.fanOut;
      const queue = queueFor('fanOut');
      const missing: JobPayload<'fanOut'>[] = [];
      let retried = 0;
      for (const payload of payloads) {
        const job = await queue.getJob(entry.jobId(payload));
        if (!job) missing.push(payload);
        else if (await job.isFailed()) {
          await job.retry();
          retried += 1;
        }
      }
      if (missing.length > 0) await enqueueFanOuts(missing);
      return { added: missing.length, retried };
    },

    async close(): Promise<void> {
      await Promise.all([...queues.values()].map((queue) => queue.close()));
    },
  };
}

export type JobProducer = ReturnType<typeof createJobProducer>;
