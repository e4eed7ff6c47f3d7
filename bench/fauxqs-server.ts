import { buildApp } from 'fauxqs';
import { answerBench } from './processes.ts';
import { type LatencySummary, summarise } from './stats.ts';

/**
 * fauxqs (SQS) in a process of its own, on loopback, with an arrival recorder: for every
 * message a SendMessage(Batch) stored, it notes when it arrived and how long after the
 * event's `receivedAt` (PostgreSQL's now() when the API accepted it; same machine clock).
 * Measuring at the queue itself leaves out a consumer's polling delay, which is not Sluice's.
 *
 * In its own process because in the bench runner it would share one event loop with the
 * load generator, and each would slow the other down.
 */

interface QueueArrivals {
  count: number;
  /** Accept-to-arrival in milliseconds, since the last reset. */
  latencies: number[];
  firstAt: number;
  lastAt: number;
}

const arrivals = new Map<string, QueueArrivals>();
const MAX_SAMPLES = 2_000_000;
const RECEIVED_AT = '"receivedAt":"';

function record(queueUrl: string, bodies: string[]): void {
  const now = Date.now();
  const name = queueUrl.slice(queueUrl.lastIndexOf('/') + 1);
  let queue = arrivals.get(name);
  if (!queue) {
    queue = { count: 0, latencies: [], firstAt: now, lastAt: now };
    arrivals.set(name, queue);
  }
  queue.count += bodies.length;
  queue.lastAt = now;
  for (const body of bodies) {
    // The contract puts receivedAt last; a substring is far cheaper than parsing every body.
    const at = body.lastIndexOf(RECEIVED_AT);
    if (at < 0 || queue.latencies.length >= MAX_SAMPLES) continue;
    const start = at + RECEIVED_AT.length;
    const receivedAt = Date.parse(body.slice(start, body.indexOf('"', start)));
    if (!Number.isNaN(receivedAt)) queue.latencies.push(now - receivedAt);
  }
}

const app = buildApp({ logger: false, defaultRegion: 'us-east-1' });

// SQS speaks AWS JSON 1.0: the action is in X-Amz-Target, the parsed body has the entries.
app.addHook('onResponse', async (request, reply) => {
  if (reply.statusCode !== 200) return;
  const target = request.headers['x-amz-target'];
  const body = request.body as { QueueUrl?: string; MessageBody?: string; Entries?: { MessageBody?: string }[] };
  if (!body?.QueueUrl) return;
  if (target === 'AmazonSQS.SendMessageBatch' && body.Entries) {
    record(
      body.QueueUrl,
      body.Entries.map((entry) => entry.MessageBody ?? ''),
    );
  } else if (target === 'AmazonSQS.SendMessage' && body.MessageBody !== undefined) {
    record(body.QueueUrl, [body.MessageBody]);
  }
});

export interface ArrivalCounts {
  /** Messages stored per queue name since the start. */
  counts: Record<string, number>;
}

answerBench({
  counts: (): ArrivalCounts => ({
    counts: Object.fromEntries([...arrivals].map(([name, queue]) => [name, queue.count])),
  }),
  /** Summarises one queue's latencies since the last call, and starts a new window. */
  'take-latencies': (message): LatencySummary => {
    const queue = arrivals.get(String(message.queue));
    const latencies = queue?.latencies ?? [];
    if (queue) queue.latencies = [];
    return summarise(latencies);
  },
});

const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.send?.({ type: 'ready' });
console.log(`fauxqs listening at ${address}`);

const shutdown = async () => {
  await app.close();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
