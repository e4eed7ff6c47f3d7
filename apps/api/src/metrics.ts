import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** The API process's Prometheus registry. Delivery metrics join it from PostgreSQL at scrape time. */
export function createApiMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sluice_api_' });
  return {
    registry,
    eventsAccepted: new Counter({
      name: 'sluice_events_accepted_total',
      help: 'Events accepted (new, not duplicates)',
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'sluice_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;
