import { type StatsQuery, statsStepMs } from '@sluice/contracts/stats';
import type { DeliveryStatsRepository, StatsScope } from '@sluice/db/repositories/delivery-stats-repository';
import { LATENCY_BUCKET_BOUNDS_MS } from '@sluice/db/schema/stats';

const POINTS_BY_DEFAULT = 60;

/**
 * A latency percentile from a histogram of LATENCY_BUCKET_BOUNDS_MS buckets, interpolated
 * linearly within the bucket it falls in; the open last bucket answers its lower bound.
 */
export function latencyPercentile(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (const [index, count] of counts.entries()) {
    if (count > 0 && seen + count >= rank) {
      const lower = index === 0 ? 0 : LATENCY_BUCKET_BOUNDS_MS[index - 1]!;
      const upper = LATENCY_BUCKET_BOUNDS_MS[index];
      if (upper === undefined) return lower;
      return Math.round(lower + ((upper - lower) * (rank - seen)) / count);
    }
    seen += count;
  }
  return LATENCY_BUCKET_BOUNDS_MS.at(-1)!;
}

const floorTo = (ms: number, step: number) => Math.floor(ms / step) * step;

export function createStatsService(deps: { stats: DeliveryStatsRepository }) {
  return {
    async read(scope: StatsScope, query: StatsQuery) {
      const step = statsStepMs[query.interval];
      // Whole intervals, the last one the interval now is in; every interval gets a point, empty ones 0.
      const to = floorTo(query.to ? Date.parse(query.to) : Date.now(), step) + step;
      const from = query.from ? floorTo(Date.parse(query.from), step) : to - POINTS_BY_DEFAULT * step;
      const [rows, backlog] = await Promise.all([
        deps.stats.series(scope, { from: new Date(from), to: new Date(to), interval: query.interval }),
        deps.stats.backlog(scope),
      ]);
      const byTime = new Map(rows.map((row) => [row.at.getTime(), row]));
      const series = [];
      for (let at = from; at < to; at += step) {
        const row = byTime.get(at);
        const counts = row?.latencyCounts ?? [];
        series.push({
          at: new Date(at).toISOString(),
          delivered: row?.delivered ?? 0,
          retried: row?.retried ?? 0,
          dead: row?.dead ?? 0,
          latencyP50Ms: latencyPercentile(counts, 0.5),
          latencyP99Ms: latencyPercentile(counts, 0.99),
        });
      }
      return {
        interval: query.interval,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        series,
        pending: backlog.pending,
        held: backlog.held,
        oldestPendingAt: backlog.oldestPendingAt?.toISOString() ?? null,
        dlqOpen: backlog.dlqOpen,
      };
    },
  };
}

export type StatsService = ReturnType<typeof createStatsService>;
