import { type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { type JobName, type JobPayload, jobCatalog, QUEUE_PREFIX } from './catalog.ts';

/** Typed enqueueing for every queue of the catalog, over one shared connection. */
export function createJobProducer(connection: Redis) {
  const queues = new Map<string, Queue>();
  const queueFor = (name: JobName): Queue => {
    const { queue } = jobCatalog[name];
    let found = queues.get(queue);
    if (!found) {
      // skipWaitingForReady: an HTTP request must not wait on a Redis that is down.
      found = new Queue(queue, { connection, prefix: QUEUE_PREFIX, skipWaitingForReady: true });
      // Errors surface on each add(); without a listener they would crash the process.
      found.on('error', () => {});
      queues.set(queue, found);
      // A queue first used while Redis is down or hangs fails its start-up (BullMQ's version
      // check) for good: forget it, so the next enqueue builds a new one once Redis answers.
      const created = found;
      created.waitUntilReady().catch(() => {
        if (queues.get(queue) === created) queues.delete(queue);
        void created.close().catch(() => {});
      });
    }
    return found;
  };

  /** Jobs of one kind; several go in one round trip. `delayMs`: not to run before then. */
  async function enqueue<N extends JobName>(
    name: N,
    payloads: JobPayload<N>[],
    options: { delayMs?: number } = {},
  ): Promise<void> {
    if (payloads.length === 0) return;
    const entry = jobCatalog[name];
    // TypeScript cannot tie `entry` to `N` through the index, so it is told which identify this is.
    const identify = entry.identify as (payload: JobPayload<N>) => JobsOptions;
    const jobs = payloads.map((payload) => ({
      name: entry.queue,
      data: entry.payload.parse(payload),
      opts: { ...entry.options, ...identify(payload), ...(options.delayMs ? { delay: options.delayMs } : {}) },
    }));
    // One job skips addBulk's MULTI: ioredis builds each pipeline by copying every loaded
    // script onto it, which costs more CPU than the add itself.
    const [only] = jobs;
    if (only && jobs.length === 1) await queueFor(name).add(only.name, only.data, only.opts);
    else await queueFor(name).addBulk(jobs);
  }

  return {
    queueFor,
    enqueue,
    async close(): Promise<void> {
      await Promise.all([...queues.values()].map((queue) => queue.close()));
    },
  };
}

export type JobProducer = ReturnType<typeof createJobProducer>;
