import { createServer, type Server } from 'node:http';
import type { RecordedOutcome } from '@sluice/db/repositories/delivery-outcomes';
import type { DrainMetrics } from '@sluice/delivery/drain-service';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * The worker's own Prometheus metrics (outcomes and send latency happen here, not in the
 * API). Served on WORKER_METRICS_PORT; the API's /metrics adds the backlog gauges.
 */
export function createWorkerMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sluice_worker_' });
  const deliveries = new Counter({
    name: 'sluice_deliveries_total',
    help: 'Delivery attempts by destination type, outcome (delivered, retry, dead) and dead-letter reason',
    labelNames: ['type', 'outcome', 'reason'],
    registers: [registry],
  });
  const batchLatency = new Histogram({
    name: 'sluice_delivery_attempt_duration_seconds',
    help: 'Duration of one batch send call (SendMessageBatch, PublishBatch, PutRecords) by destination type',
    labelNames: ['type'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const drain: DrainMetrics = {
    observeBatch: (type, seconds) => batchLatency.observe({ type }, seconds),
    countOutcome: (type: string, outcome: RecordedOutcome) =>
      deliveries.inc({ type, outcome: outcome.kind, reason: outcome.kind === 'dead' ? outcome.reason : '' }),
  };

  return {
    registry,
    drain,
    serve(host: string, port: number): Server {
      const server = createServer(async (_request, response) => {
        response.setHeader('content-type', registry.contentType);
        response.end(await registry.metrics());
      });
      server.listen(port, host);
      return server;
    },
  };
}
