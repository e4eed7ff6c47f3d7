import { LATENCY_BUCKET_BOUNDS_MS } from '../schema/stats.ts';

/**
 * The delivery_stats rollup's writer: CTE text added to the statements that record outcomes
 * and dead letters. Each adds its counts to the row of (destination, current minute), so
 * GET /v1/stats reads a few rows per destination and hour, never the deliveries.
 */

/** The bounds as a statement parameter (`$n::float8[]`). */
export const latencyBoundsParam = (): number[] => [...LATENCY_BUCKET_BOUNDS_MS];

const lastBucket = LATENCY_BUCKET_BOUNDS_MS.length;

const upsert = `on conflict (destination_id, bucket) do update set
    delivered = delivery_stats.delivered + excluded.delivered,
    retried = delivery_stats.retried + excluded.retried,
    dead = delivery_stats.dead + excluded.dead,
    latency_counts = array(select a + b from unnest(delivery_stats.latency_counts, excluded.latency_counts)
                                         with ordinality as u(a, b, i) order by i)`;

/**
 * Counts a round's outcomes. `source` names a CTE with columns `kind` ('delivered', 'retry' or
 * 'dead') and `received_at` (the event's); latency is from then to now, in buckets of `bounds`.
 */
export function outcomeStatsCtes(source: string, params: { tenant: string; destination: string; bounds: string }) {
  return `stats_buckets as (
             select b, count(*)::int as c from (
               select width_bucket(extract(epoch from now() - received_at) * 1000, ${params.bounds}) as b
               from ${source} where kind = 'delivered'
             ) latencies group by b
           ),
           stats as (
             insert into delivery_stats (tenant_id, destination_id, bucket, delivered, retried, dead, latency_counts)
             select ${params.tenant}, ${params.destination}, date_trunc('minute', now()),
                    count(*) filter (where kind = 'delivered')::int, count(*) filter (where kind = 'retry')::int,
                    count(*) filter (where kind = 'dead')::int,
                    array(select coalesce((select c from stats_buckets where b = i), 0)
                          from generate_series(0, ${lastBucket}) i order by i)
             from ${source}
             having count(*) > 0
             ${upsert}
           )`;
}

/** Counts dead letters moved outside a drain; `source` names a CTE with one row per dead delivery. */
export function deadLetterStatsCte(source: string, params: { tenant: string; destination: string }) {
  return `dead_stats as (
             insert into delivery_stats (tenant_id, destination_id, bucket, delivered, retried, dead, latency_counts)
             select ${params.tenant}, ${params.destination}, date_trunc('minute', now()), 0, 0, count(*)::int,
                    array_fill(0, array[${lastBucket + 1}])
             from ${source}
             having count(*) > 0
             ${upsert}
           )`;
}
