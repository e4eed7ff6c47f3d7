import { destinationTypeSchema } from '@sluice/contracts/destinations';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The API process's Prometheus registry. Delivery metrics join it from PostgreSQL at scrape time. */
export function createApiMetrics(deps: {
  backlog: () => Promise<{ type: string; pending: number; dead: number }[]>;
  /** FIFO groups held behind a dead head, per destination that has any. */
  heldGroups: () => Promise<{ destinationId: string; type: string; groups: number }[]>;
}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sluice_api_' });
  // One query per scrape feeds both gauges; PostgreSQL is the truth for what is outstanding.
  let lastBacklog: Promise<{ type: string; pending: number; dead: number }[]> | undefined;
  const backlog = () => {
    lastBacklog ??= deps
      .backlog()
      // Every type is reported, 0 when it has nothing outstanding, so dashboards see a series.
      .then((rows) =>
        destinationTypeSchema.options.map(
          (type) => rows.find((row) => row.type === type) ?? { type, pending: 0, dead: 0 },
        ),
      )
      .finally(() => setTimeout(() => (lastBacklog = undefined), 1_000).unref());
    return lastBacklog;
  };
  new Gauge({
    name: 'sluice_deliveries_pending',
    help: 'Deliveries waiting or retrying, by destination type',
    labelNames: ['type'],
    registers: [registry],
    async collect() {
      for (const row of await backlog()) this.set({ type: row.type }, row.pending);
    },
  });
  new Gauge({
    name: 'sluice_dlq_entries',
    help: 'Open dead-letter entries, by destination type',
    labelNames: ['type'],
    registers: [registry],
    async collect() {
      for (const row of await backlog()) this.set({ type: row.type }, row.dead);
    },
  });
  new Gauge({
    name: 'sluice_fifo_held_groups',
    help: 'FIFO groups held behind a dead message (fifo.onDeadLetter "hold"), per destination that has any',
    labelNames: ['destination_id', 'type'],
    registers: [registry],
    async collect() {
      const rows = await deps.heldGroups();
      // A destination whose groups all went again leaves the series (a label set per held destination only).
      this.reset();
      for (const row of rows) this.set({ destination_id: row.destinationId, type: row.type }, row.groups);
    },
  });
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
