import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import type { DeliveryCeiling } from './ceilings.ts';
import type { EndToEndResult } from './end-to-end.ts';
import type { IngestResult } from './ingest.ts';
import { round } from './stats.ts';

/** The one table the bench prints (Markdown, so the README can show it as is) and results.json. */

export interface BenchResults {
  ingest: { sluice: IngestResult; ceiling: IngestResult };
  delivery: { standardCeiling: DeliveryCeiling; fifoCeiling: DeliveryCeiling };
  endToEnd: { standard: EndToEndResult; fifo: EndToEndResult };
}

export const targets = {
  ingestRatio: 0.7,
  standardEventsPerSecond: 5_000,
  fifoEventsPerSecond: 2_000,
  p99Ms: 250,
};

function commandOutput(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export function describeMachine() {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    postgres: commandOutput('psql', ['--version']),
    redis: commandOutput('redis-server', ['--version']).split(' ').slice(0, 3).join(' '),
    measuredAt: new Date().toISOString(),
  };
}

const n = (value: number) => Math.round(value).toLocaleString('en-US');
const pct = (value: number) => `${Math.round(value * 100)}%`;
const ms = (value: number) => (value < 10 ? round(value, 1).toString() : n(value));
const verdict = (met: boolean) => (met ? 'met' : '**missed**');

export function verdicts(results: BenchResults) {
  const { sluice, ceiling } = results.ingest;
  const { standard, fifo } = results.endToEnd;
  return {
    ingest: sluice.single.requestsPerSecond / ceiling.single.requestsPerSecond >= targets.ingestRatio,
    standard: standard.maxEventsPerSecond >= targets.standardEventsPerSecond,
    fifo: fifo.maxEventsPerSecond >= targets.fifoEventsPerSecond,
    standardP99: standard.steady.latency.p99 < targets.p99Ms,
    fifoP99: fifo.steady.latency.p99 < targets.p99Ms,
  };
}

export function renderTable(results: BenchResults): string {
  const { sluice, ceiling } = results.ingest;
  const { standard, fifo } = results.endToEnd;
  const { standardCeiling, fifoCeiling } = results.delivery;
  const met = verdicts(results);
  const latency = (r: EndToEndResult) =>
    `${ms(r.steady.latency.p50)} / ${ms(r.steady.latency.p99)} ms at ${n(r.steady.offeredPerSecond)}/s`;
  const cost = (r: EndToEndResult) =>
    `PostgreSQL ${r.steady.cost.perMessage.pgStatements} statements (${r.steady.cost.perMessage.pgTransactions} transactions); Redis ${r.steady.cost.perMessage.redisCommandsSent} commands sent, ${r.steady.cost.perMessage.redisCommandsExecuted} executed`;
  const cores = (used: Record<string, number>) =>
    Object.entries(used)
      .map(([name, n]) => `${name} ${n.toFixed(2)}`)
      .join(', ');
  const rows = [
    ['measure', 'Sluice', 'ceiling', 'Sluice / ceiling', 'target'],
    [
      'ingest `POST /v1/events`, 50 connections: requests/s',
      n(sluice.single.requestsPerSecond),
      n(ceiling.single.requestsPerSecond),
      pct(sluice.single.requestsPerSecond / ceiling.single.requestsPerSecond),
      `≥ 70% of ceiling: ${verdict(met.ingest)}`,
    ],
    [
      'ingest latency p50 / p99',
      `${ms(sluice.single.p50Ms)} / ${ms(sluice.single.p99Ms)} ms`,
      `${ms(ceiling.single.p50Ms)} / ${ms(ceiling.single.p99Ms)} ms`,
      '',
      '',
    ],
    [
      'ingest `POST /v1/events/batch` (200 per request, 8 connections): events/s',
      n(sluice.batch.eventsPerSecond),
      n(ceiling.batch.eventsPerSecond),
      pct(sluice.batch.eventsPerSecond / ceiling.batch.eventsPerSecond),
      '',
    ],
    [
      'end to end, standard queue: events/s delivered',
      n(standard.maxEventsPerSecond),
      n(standardCeiling.messagesPerSecond),
      pct(standard.maxEventsPerSecond / standardCeiling.messagesPerSecond),
      `≥ 5,000: ${verdict(met.standard)}`,
    ],
    [
      'end to end, FIFO queue (1,000 groups): events/s delivered',
      n(fifo.maxEventsPerSecond),
      n(fifoCeiling.messagesPerSecond),
      pct(fifo.maxEventsPerSecond / fifoCeiling.messagesPerSecond),
      `≥ 2,000: ${verdict(met.fifo)}`,
    ],
    [
      'accept → arrival p50 / p99, standard, half load',
      latency(standard),
      '',
      '',
      `p99 < 250 ms: ${verdict(met.standardP99)}`,
    ],
    ['accept → arrival p50 / p99, FIFO, half load', latency(fifo), '', '', `p99 < 250 ms: ${verdict(met.fifoP99)}`],
    ['cost per delivered message, standard', cost(standard), '', '', ''],
    ['cost per delivered message, FIFO', cost(fifo), '', '', ''],
    ['CPU cores in use at the maximum, standard', cores(standard.maxCpuCores), '', '', ''],
    ['CPU cores in use at the maximum, FIFO', cores(fifo.maxCpuCores), '', '', ''],
  ];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(rows[0]!), line(rows[0]!.map(() => '---')), ...rows.slice(1).map(line)].join('\n');
}
