import { useMemo, useState } from 'react';
import { api } from '../api.ts';
import { useViewer } from '../app-context.ts';
import { type ChartLine, TimeChart } from '../charts.tsx';
import { ago, ErrorNote, Section, useLoad } from '../ui.tsx';
import { OpenAlerts } from './alerts.tsx';

/** Delivered, retried and dead per minute, latency, and the backlog now; for all or one destination. */
export function OverviewPage() {
  const viewer = useViewer();
  const [destinationId, setDestinationId] = useState('');
  const [interval, setInterval] = useState<'minute' | 'hour'>('minute');
  const destinations = useLoad(
    () => (viewer.kind === 'operator' ? Promise.resolve(undefined) : api.destinations.list()),
    [viewer.kind],
  );
  const stats = useLoad(
    () => api.stats.read({ destinationId: destinationId || undefined, interval }),
    [destinationId, interval],
  );
  const charts = useMemo(() => {
    const series = stats.data?.series ?? [];
    const times = series.map((point) => Date.parse(point.at) / 1000);
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    const counts: ChartLine[] = [
      { label: 'delivered', values: series.map((p) => p.delivered), color: '#1a7f37' },
      { label: 'retried', values: series.map((p) => p.retried), color: '#9a6700' },
      { label: 'dead', values: series.map((p) => p.dead), color: '#cf222e' },
    ];
    const latency: ChartLine[] = [
      { label: 'p50 ms', values: series.map((p) => p.latencyP50Ms), color: '#0969da' },
      { label: 'p99 ms', values: series.map((p) => p.latencyP99Ms), color: '#8250df' },
    ];
    const totals = `${sum(series.map((p) => p.delivered))} delivered, ${sum(series.map((p) => p.retried))} retried, ${sum(series.map((p) => p.dead))} dead`;
    return { times, counts, latency, totals };
  }, [stats.data]);

  return (
    <>
      {viewer.kind !== 'operator' && (
        <Section title="Open alerts">
          <OpenAlerts destinationId={destinationId || undefined} />
        </Section>
      )}
      <Section
        title="Overview"
        actions={
          <div className="toolbar">
            {destinations.data && (
              <label>
                Destination{' '}
                <select value={destinationId} onChange={(e) => setDestinationId(e.target.value)}>
                  <option value="">All destinations</option>
                  {destinations.data.data.map((d) => (
                    <option key={d.id} value={d.id}>
                      {d.name}
                    </option>
                  ))}
                </select>
              </label>
            )}
            <label>
              Interval{' '}
              <select value={interval} onChange={(e) => setInterval(e.target.value === 'hour' ? 'hour' : 'minute')}>
                <option value="minute">per minute (last hour)</option>
                <option value="hour">per hour (last 60 hours)</option>
              </select>
            </label>
            <button type="button" onClick={stats.reload}>
              Refresh
            </button>
          </div>
        }
      >
        <ErrorNote error={stats.error} />
        {stats.data && (
          <>
            <dl className="figures" aria-label="Backlog now">
              <div>
                <dt>Pending</dt>
                <dd data-testid="pending">{stats.data.pending}</dd>
              </div>
              <div>
                <dt>Oldest pending</dt>
                <dd>{ago(stats.data.oldestPendingAt)}</dd>
              </div>
              <div>
                <dt>Dead letters open</dt>
                <dd data-testid="dlq-open">{stats.data.dlqOpen}</dd>
              </div>
            </dl>
            <div className="charts">
              <TimeChart
                title={`Messages per ${interval}`}
                times={charts.times}
                lines={charts.counts}
                summary={charts.totals}
              />
              <TimeChart
                title="Accept-to-delivery latency"
                times={charts.times}
                lines={charts.latency}
                summary="p50 and p99 in milliseconds"
              />
            </div>
          </>
        )}
      </Section>
    </>
  );
}
