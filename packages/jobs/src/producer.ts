import { type JobsOptions, Queue } from 'bullmq';
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

  /** Many jobs of one kind in one round trip (the batch endpoint enqueues 500 at once). */
  async function enqueue<N extends JobName>(name: N, payloads: JobPayload<N>[]): Promise<void> {
    if (payloads.length === 0) return;
    const entry = jobCatalog[name];
    // TypeScript cannot tie `entry` to `N` through the index, so it is told which identify this is.
    const identify = entry.identify as (payload: JobPayload<N>) => JobsOptions;
    const jobs = payloads.map((payload) => ({
      name: entry.queue,
      data: entry.payload.parse(payload),
      opts: { ...entry.options, ...identify(payload) },
    }));
    // One job (every single-event POST) skips addBulk's MULTI: ioredis builds each pipeline by
    // copying every loaded script onto it, which cost the API more CPU than the add itself.
    if (jobs.length === 1) await queueFor(name).add(jobs[0]!.name, jobs[0]!.data, jobs[0]!.opts);
    else await queueFor(name).addBulk(jobs);
  }
  /**
   * The sweeper's re-enqueue, for jobs with a fixed id: adds the jobs Redis no longer has (a
   * flush, a crash before enqueue) and retries the ones that failed for good (a kept failed
   * job would make BullMQ ignore the add); jobs still waiting or running are left alone.
   */
  async function requeue<N extends 'fanOut' | 'dlqReplay'>(name: N, payloads: JobPayload<N>[]) {
    const identify = jobCatalog[name].identify as (payload: JobPayload<N>) => JobsOptions;
    const queue = queueFor(name);
    const missing: JobPayload<N>[] = [];
    let retried = 0;
    for (const payload of payloads) {
      const job = await queue.getJob(String(identify(payload).jobId));
      if (!job) missing.push(payload);
      else if (await job.isFailed()) {
        await job.retry();
        retried += 1;
      }
    }
    await enqueue(name, missing);
    return { added: missing.length, retried };
  }

  const enqueueFanOuts = (payloads: JobPayload<'fanOut'>[]) => enqueue('fanOut', payloads);
  const enqueueDrains = (payloads: JobPayload<'drain'>[]) => enqueue('drain', payloads);
  const enqueueDlqReplays = (payloads: JobPayload<'dlqReplay'>[]) => enqueue('dlqReplay', payloads);

  return {
    queueFor,
    enqueueDlqReplays,
    enqueueFanOuts,
    enqueueDrains,

    /**
     * The sweeper's re-enqueue: adds the jobs Redis no longer has (a flush, a crash before
     * enqueue) and retries the ones that failed for good; jobs still waiting are left alone.
     */
    requeueFanOuts: (payloads: JobPayload<'fanOut'>[]) => requeue('fanOut', payloads),
    requeueDlqReplays: (payloads: JobPayload<'dlqReplay'>[]) => requeue('dlqReplay', payloads),

    async close(): Promise<void> {
      await Promise.all([...queues.values()].map((queue) => queue.close()));
    },
  };
}

export type JobProducer = ReturnType<typeof createJobProducer>;
