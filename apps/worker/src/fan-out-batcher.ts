import type { FanOutService, FanOutTarget } from '@sluice/delivery/fan-out-service';
import type { JobProducer } from '@sluice/jobs/producer';

/**
 * Fans out together the events whose jobs are active at the same time: one transaction and
 * one drain enqueue for a whole batch, instead of a transaction (six round trips) and an
 * enqueue per event, which made the fan-out the bottleneck of delivery. A job's promise
 * settles once its event's deliveries are committed and their drains enqueued, exactly as
 * when each job did that alone.
 *
 * Batches form by themselves: while `maxInFlight` batches are running, new jobs wait and go
 * together in the next one, so a busy worker sends large batches and an idle one sends an
 * event as soon as it comes.
 */
export interface FanOutBatcherOptions {
  /** Events per transaction at most. */
  maxBatch: number;
  /** Batches (transactions) running at once. */
  maxInFlight: number;
}

interface Waiting {
  target: FanOutTarget;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export function createFanOutBatcher(
  deps: {
    fanOut: Pick<FanOutService, 'fanOutMany'>;
    jobs: Pick<JobProducer, 'enqueueDrains'>;
  },
  options: FanOutBatcherOptions,
) {
  let waiting: Waiting[] = [];
  let inFlight = 0;
  let scheduled = false;

  async function run(batch: Waiting[]): Promise<void> {
    try {
      const drained = await deps.fanOut.fanOutMany(batch.map((w) => w.target));
      const drains = new Map<string, { tenantId: string; destinationId: string }>();
      for (const { target } of batch) {
        for (const destinationId of drained.get(target.eventId) ?? []) {
          drains.set(destinationId, { tenantId: target.tenantId, destinationId });
        }
      }
      // If this enqueue is lost, the due-work poller finds the deliveries within a second.
      await deps.jobs.enqueueDrains([...drains.values()]);
      for (const w of batch) w.resolve();
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      // One event that breaks the transaction must not fail the others' jobs: each goes alone,
      // so only its own job fails (and is retried by BullMQ); the rest were not committed.
      // One at a time: a batch usually fails because the database struggles, and 200 parallel
      // transactions would only take the pool from the drains.
      for (const w of batch) await run([w]);
    }
  }

  function startBatches(): void {
    scheduled = false;
    while (waiting.length > 0 && inFlight < options.maxInFlight) {
      const batch = waiting.slice(0, options.maxBatch);
      waiting = waiting.slice(batch.length);
      inFlight += 1;
      void run(batch).finally(() => {
        inFlight -= 1;
        startBatches();
      });
    }
  }

  return {
    fanOut(target: FanOutTarget): Promise<void> {
      return new Promise((resolve, reject) => {
        waiting.push({ target, resolve, reject });
        // Jobs that BullMQ hands over in the same burst join one batch: start on the next turn.
        if (!scheduled) {
          scheduled = true;
          setImmediate(startBatches);
        }
      });
    },
  };
}

export type FanOutBatcher = ReturnType<typeof createFanOutBatcher>;
