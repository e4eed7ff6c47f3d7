import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import type { DeliveryCeiling } from './ceilings.ts';
import type { EndToEndResult, MaximumResult } from './end-to-end.ts';
import type { SeededHistory } from './history.ts';
import type { IngestResult } from './ingest.ts';
import type { PurgeDuringResult } from './purge.ts';
import { round } from './stats.ts';

/** The one table the bench prints (Markdown, so the README can show it as is) and results.json. */

export interface BenchResults {
  ingest: { sluice: IngestResult; ceiling: IngestResult };
  delivery: { standardCeiling: DeliveryCeiling; fifoCeiling: DeliveryCeiling };
  endToEnd: { standard: EndToEndResult; fifo: EndToEndResult };
  /**
   * The standard end to end again, after `seeded` delivered events of history: ratio = with / fresh;
   * and once more while retention purges that history: withPurge.ratio = during the purge / with history.
   */
  history: {
    seeded: SeededHistory;
    standard: EndToEndResult;
    ratio: number;
    withPurge: EndToEndResult & { purge: PurgeDuringResult; ratio: number };
  };
  /** The standard maximum with two worker processes, right after it was measured with one: ratio = two / one. */
  scaleOut: { oneWorker: number; twoWorkers: MaximumResult; ratio: number };
}

/** The delivery-core issue's targets: ratios to ceilings of the same run, and counts per message. */
export const targets = {
  ingestRatio: 0.75,
  standardRatio: 0.65,
  fifoRatio: 0.5,
  p99Ms: 150,
  redisCommandsPerMessage: 3,
  pgStatementsPerMessage: 0.5,
  historyRatio: 0.9,
  purgeRatio: 0.9,
  scaleOutRatio: 1.0,
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

export function ratios(results: BenchResults) {
  const { sluice, ceiling } = results.ingest;
  const { standard, fifo } = results.endToEnd;
  return {
    ingest: sluice.single.requestsPerSecond / ceiling.single.requestsPerSecond,
    standard: standard.maxEventsPerSecond / results.delivery.standardCeiling.messagesPerSecond,
    fifo: fifo.maxEventsPerSecond / results.delivery.fifoCeiling.messagesPerSecond,
  };
}

const worst = (values: number[]) => Math.max(...values);

export function verdicts(results: BenchResults) {
  const ratio = ratios(results);
  const { standard, fifo } = results.endToEnd;
  const perMessage = [standard, fifo].map((r) => r.steady.cost.perMessage);
  return {
    ingest: ratio.ingest >= targets.ingestRatio,
    standard: ratio.standard >= targets.standardRatio,
    fifo: ratio.fifo >= targets.fifoRatio,
    standardP99: standard.steady.latency.p99 <= targets.p99Ms,
    fifoP99: fifo.steady.latency.p99 <= targets.p99Ms,
    redisCommands: worst(perMessage.map((p) => p.redisCommandsExecuted)) <= targets.redisCommandsPerMessage,
    pgStatements: worst(perMessage.map((p) => p.pgStatements)) <= targets.pgStatementsPerMessage,
    history: results.history.ratio >= targets.historyRatio,
    purge: results.history.withPurge.ratio >= targets.purgeRatio,
    scaleOut: results.scaleOut.ratio >= targets.scaleOutRatio,
  };
}

export function renderTable(results: BenchResults): string {
  const { sluice, ceiling } = results.ingest;
  const { standard, fifo } = results.endToEnd;
  const { standardCeiling, fifoCeiling } = results.delivery;
  const ratio = ratios(results);
  const met = verdicts(results);
  const latency = (r: EndToEndResult) =>
    `${ms(r.steady.latency.p50)} / ${ms(r.steady.latency.p99)} ms at ${n(r.steady.offeredPerSecond)}/s`;
  const cost = (r: EndToEndResult) =>
    `PostgreSQL ${r.steady.cost.perMessage.pgStatements} statements (${r.steady.cost.perMessage.pgTransactions} transactions); Redis ${r.steady.cost.perMessage.redisCommandsSent} commands sent, ${r.steady.cost.perMessage.redisCommandsExecuted} executed`;
  const cores = (used: Record<string, number>) =>
    Object.entries(used)
      .map(([name, value]) => `${name} ${value.toFixed(2)}`)
      .join(', ');
  const { seeded, withPurge } = results.history;
  const rows = [
    ['measure', 'Sluice', 'ceiling', 'Sluice / ceiling', 'target'],
    [
      'ingest `POST /v1/events`, 50 connections: requests/s',
      n(sluice.single.requestsPerSecond),
      n(ceiling.single.requestsPerSecond),
      pct(ratio.ingest),
      `≥ 75%: ${verdict(met.ingest)}`,
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
      pct(ratio.standard),
      `≥ 65%: ${verdict(met.standard)}`,
    ],
    [
      'end to end, FIFO queue (1,000 groups): events/s delivered',
      n(fifo.maxEventsPerSecond),
      n(fifoCeiling.messagesPerSecond),
      pct(ratio.fifo),
      `≥ 50%: ${verdict(met.fifo)}`,
    ],
    [
      'accept → arrival p50 / p99, standard, half load',
      latency(standard),
      '',
      '',
      `≤ 150 ms: ${verdict(met.standardP99)}`,
    ],
    ['accept → arrival p50 / p99, FIFO, half load', latency(fifo), '', '', `≤ 150 ms: ${verdict(met.fifoP99)}`],
    ['cost per delivered message, standard', cost(standard), '', '', ''],
    ['cost per delivered message, FIFO', cost(fifo), '', '', ''],
    [
      'Redis commands executed / PostgreSQL statements per message (worse of the two)',
      `${worst([standard, fifo].map((r) => r.steady.cost.perMessage.redisCommandsExecuted))} / ${worst([standard, fifo].map((r) => r.steady.cost.perMessage.pgStatements))}`,
      '',
      '',
      `≤ 3: ${verdict(met.redisCommands)}; ≤ 0.5: ${verdict(met.pgStatements)}`,
    ],
    [
      `end to end, standard, after ${n(seeded.events)} delivered events of history (${n(seeded.megabytes)} MB): events/s`,
      n(results.history.standard.maxEventsPerSecond),
      n(standard.maxEventsPerSecond),
      pct(results.history.ratio),
      `≥ 90% of fresh: ${verdict(met.history)}`,
    ],
    [
      `end to end, standard, while retention purges that history (${n(withPurge.purge.eventsPerSecond)} events/s deleted${withPurge.purge.completedEarly ? ', all of it before the phase ended' : ''}): events/s`,
      n(withPurge.maxEventsPerSecond),
      n(results.history.standard.maxEventsPerSecond),
      pct(withPurge.ratio),
      `≥ 90% of without: ${verdict(met.purge)}`,
    ],
    [
      'end to end, standard, two worker processes: events/s',
      n(results.scaleOut.twoWorkers.maxEventsPerSecond),
      n(results.scaleOut.oneWorker),
      pct(results.scaleOut.ratio),
      `≥ 100% of one: ${verdict(met.scaleOut)}`,
    ],
    ['CPU cores in use at the maximum, standard', cores(standard.maxCpuCores), '', '', ''],
    ['CPU cores in use at the maximum, FIFO', cores(fifo.maxCpuCores), '', '', ''],
    ['CPU cores in use at the maximum, two workers', cores(results.scaleOut.twoWorkers.maxCpuCores), '', '', ''],
  ];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(rows[0]!), line(rows[0]!.map(() => '---')), ...rows.slice(1).map(line)].join('\n');
}
