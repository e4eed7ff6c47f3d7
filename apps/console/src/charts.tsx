import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartLine {
  label: string;
  values: (number | null)[];
  color: string;
}

/** A time series chart (uPlot, bundled); the figure's label sums it up for screen readers. */
export function TimeChart(props: { title: string; times: number[]; lines: ChartLine[]; summary: string }) {
  const target = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = target.current;
    if (!element) return;
    const chart = new uPlot(
      {
        width: Math.max(320, element.clientWidth),
        height: 200,
        legend: { show: true },
        // Points too: a lone busy interval between empty ones still shows.
        series: [
          {},
          ...props.lines.map((line) => ({
            label: line.label,
            stroke: line.color,
            width: 2,
            points: { show: true, size: 5 },
          })),
        ],
        axes: [{}, { size: 56 }],
      },
      [props.times, ...props.lines.map((line) => line.values)],
      element,
    );
    return () => chart.destroy();
  }, [props.times, props.lines]);
  return (
    <figure className="chart" aria-label={`${props.title}: ${props.summary}`}>
      <figcaption>
        {props.title} <span className="muted">({props.summary})</span>
      </figcaption>
      <div ref={target} />
    </figure>
  );
}
