import type { Executor } from '../client.ts';

/** Whose numbers: a tenant's (null: every tenant's), optionally one customer's or one destination's. */
export interface StatsScope {
  tenantId: string | null;
  customerExternalId?: string | undefined;
  destinationId?: string | undefined;
}

export interface StatsBucket {
  at: Date;
  delivered: number;
  retried: number;
  dead: number;
  /** Delivered messages per LATENCY_BUCKET_BOUNDS_MS bucket. */
  latencyCounts: number[];
}

export interface Backlog {
  pending: number;
  /** Of those, waiting behind a held FIFO group. */
  held: number;
  oldestPendingAt: Date | null;
  dlqOpen: number;
}

/** Numbered parameters for a statement built in parts. */
function parameters() {
  const values: unknown[] = [];
  return { values, add: (value: unknown) => `$${values.push(value)}` };
}

/** The ids of the destinations a scope covers, as a subquery. */
function destinationIds(scope: StatsScope, add: (value: unknown) => string): string {
  const where = [
    scope.tenantId ? `tenant_id = ${add(scope.tenantId)}` : undefined,
    scope.customerExternalId ? `customer_external_id = ${add(scope.customerExternalId)}` : undefined,
    scope.destinationId ? `id = ${add(scope.destinationId)}` : undefined,
  ].filter(Boolean);
  return `select id from destinations${where.length ? ` where ${where.join(' and ')}` : ''}`;
}

/**
 * Reads of the delivery_stats rollup (a few rows per destination and hour), and the backlog
 * now from the queue (what is in line) and the open dead letters' partial index.
 */
export function createDeliveryStatsRepository(ex: Executor) {
  return {
    async series(
      scope: StatsScope,
      range: { from: Date; to: Date; interval: 'minute' | 'hour' },
    ): Promise<StatsBucket[]> {
      const p = parameters();
      const text = `
        with rows as (
          select date_trunc(${p.add(range.interval)}, bucket) as at, delivered, retried, dead, latency_counts
          from delivery_stats
          where destination_id in (${destinationIds(scope, p.add)})
            and bucket >= ${p.add(range.from)} and bucket < ${p.add(range.to)}
        ),
        histogram as (
          select r.at, u.i, sum(u.c)::int as c
          from rows r cross join lateral unnest(r.latency_counts) with ordinality as u(c, i)
          group by r.at, u.i
        )
        select r.at, sum(r.delivered)::int as delivered, sum(r.retried)::int as retried, sum(r.dead)::int as dead,
               (select array_agg(h.c order by h.i) from histogram h where h.at = r.at) as latency_counts
        from rows r group by r.at order by r.at`;
      const result = await ex.query<{
        at: Date;
        delivered: number;
        retried: number;
        dead: number;
        latency_counts: number[] | null;
      }>(text, p.values);
      return result.rows.map((row) => ({
        at: row.at,
        delivered: row.delivered,
        retried: row.retried,
        dead: row.dead,
        latencyCounts: row.latency_counts ?? [],
      }));
    },

    async backlog(scope: StatsScope): Promise<Backlog> {
      const p = parameters();
      const within = destinationIds(scope, p.add);
      // Pending work is read from delivery_queue (its size is the backlog's, not the history's).
      // Naming the tenant lets PostgreSQL use dlq_entries_tenant_open_idx.
      const tenant = scope.tenantId ? ` and tenant_id = ${p.add(scope.tenantId)}` : '';
      // Held groups are few (fifo_groups_held_idx): their queue rows are counted group by group.
      const result = await ex.query<{ pending: number; oldest: Date | null; dlq_open: number; held: number }>(
        `select pending.n as pending, pending.oldest, (
                  select count(*)::int from dlq_entries where state = 'open'${tenant} and destination_id in (${within})
                ) as dlq_open, (
                  select count(*)::int from fifo_groups g
                  join delivery_queue q on q.destination_id = g.destination_id and q.ordering_key = g.ordering_key
                  where g.held_at is not null and g.destination_id in (${within})
                ) as held
         from (select count(*)::int as n, min(d.created_at) as oldest
               from delivery_queue q join deliveries d on d.id = q.delivery_id
               where q.destination_id in (${within})) pending`,
        p.values,
      );
      const row = result.rows[0]!;
      return { pending: row.pending, held: row.held, oldestPendingAt: row.oldest, dlqOpen: row.dlq_open };
    },
  };
}

export type DeliveryStatsRepository = ReturnType<typeof createDeliveryStatsRepository>;
