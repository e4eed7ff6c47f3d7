import { LATENCY_BUCKET_BOUNDS_MS } from '../schema.ts';

/**
 * The delivery_stats rollup's writer: CTE text to add to a statement that records outcomes.
 * Each call adds its counts to the row of (destination, current minute), so GET /v1/stats reads
 * a few rows per destination and hour, never the deliveries.
 */

/** The bounds as a statement parameter (`$n::float8[]`). */
export const latencyBoundsParam = (): number[] => [...LATENCY_BUCKET_BOUNDS_MS];

const bucketCount = LATENCY_BUCKET_BOUNDS_MS.length + 1;

const upsert = `on conflict (destination_id, bucket) do update set
    delivered = delivery_stats.delivered + excluded.delivered,
    retried = delivery_stats.retried + excluded.retried,
    dead = delivery_stats.dead + excluded.dead,
    latency_counts = array(select a + b from unnest(delivery_stats.latency_counts, excluded.latency_counts)
                                         with ordinality as u(a, b, i) order by i)`;

/**
 * CTEs counting delivered and retried outcomes. `source` names a CTE with columns tenant_id,
 * destination_id, event_id and status (`delivered`, `pending` for a retry; others are not
 * counted here); latency is from the event's received_at to now, in buckets of `boundsParam`.
 */
export function outcomeStatsCtes(source: string, boundsParam: string): string {
  return `stats_rows as (
             select s.tenant_id, s.destination_id,
                    count(*) filter (where s.status = 'delivered')::int as delivered,
                    count(*) filter (where s.status = 'pending')::int as retried,
                    array_agg(width_bucket(extract(epoch from now() - e.received_at) * 1000, ${boundsParam}))
                      filter (where s.status = 'delivered') as latency_buckets
             from ${source} s left join events e on e.id = s.event_id and s.status = 'delivered'
             where s.status in ('delivered', 'pending')
             group by s.tenant_id, s.destination_id
           ),
           stats as (
             insert into delivery_stats (tenant_id, destination_id, bucket, delivered, retried, dead, latency_counts)
             select tenant_id, destination_id, date_trunc('minute', now()), delivered, retried, 0,
                    array(select (select count(*) from unnest(latency_buckets) x where x = i)::int
                          from generate_series(0, ${bucketCount - 1}) i order by i)
             from stats_rows
             order by destination_id
             ${upsert}
           )`;
}

/** A CTE counting dead letters; `source` names a CTE with columns tenant_id and destination_id. */
export function deadLetterStatsCte(source: string): string {
  return `dead_stats as (
             insert into delivery_stats (tenant_id, destination_id, bucket, delivered, retried, dead, latency_counts)
             select tenant_id, destination_id, date_trunc('minute', now()), 0, 0, count(*)::int,
                    array_fill(0, array[${bucketCount}])
             from ${source}
             group by tenant_id, destination_id
             order by destination_id
             ${upsert}
           )`;
}
