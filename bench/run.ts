import { writeFileSync } from 'node:fs';
import { measureDeliveryCeiling } from './ceilings.ts';
import { createCostMeter } from './cost.ts';
import { measureEndToEnd, measureMaximumThroughput } from './end-to-end.ts';
import { startBenchEnvironment } from './environment.ts';
import { FIFO_CUSTOMER, STANDARD_CUSTOMER } from './events.ts';
import { seedHistory } from './history.ts';
import { measureIngest } from './ingest.ts';
import { benchFile } from './processes.ts';
import { startPurge } from './purge.ts';
import { type BenchResults, describeMachine, renderTable, targets, verdicts } from './report.ts';
import { settings } from './settings.ts';

/**
 * `npm run bench`: starts Sluice (API and worker processes) against PostgreSQL, a private
 * Redis and fauxqs on loopback, measures ingest, end-to-end delivery and their ceilings in
 * one run, then the standard end to end with two worker processes, again after millions of
 * delivered events of history, and once more while retention purges that history; prints one
 * table and writes bench/results.json. BENCH_QUICK=1
 * shortens every phase and the history for a smoke test (its figures are not comparable).
 */

const { quick } = settings;
const durations = quick
  ? {
      warmupSeconds: 1,
      singleSeconds: 3,
      batchSeconds: 3,
      deliveryCeilingSeconds: 3,
      e2eSeconds: 4,
      steadySeconds: 4,
      historyEvents: 200_000,
    }
  : {
      warmupSeconds: 3,
      singleSeconds: 10,
      batchSeconds: 8,
      deliveryCeilingSeconds: 6,
      e2eSeconds: 15,
      steadySeconds: 15,
      historyEvents: 5_000_000,
    };

// Bounded: whatever happens, the bench ends (and takes its children with it) within this.
const HARD_LIMIT_MS = 45 * 60_000;
const log = (message: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

const environment = await startBenchEnvironment();
const hardLimit = setTimeout(() => {
  log('hard time limit reached: stopping');
  void environment.stop().finally(() => process.exit(2));
}, HARD_LIMIT_MS);
const meter = createCostMeter(environment);
let exitCode = 0;

try {
  log('ingest: Sluice API (fan-out paused) and its ceiling, a bare Fastify route doing one INSERT, in turns');
  const ingest = await measureIngest(environment, meter, durations);
  const ceilingOptions = { seconds: durations.deliveryCeilingSeconds, concurrency: 16 };
  const e2e = {
    warmupSeconds: durations.warmupSeconds,
    maxSeconds: durations.e2eSeconds,
    steadySeconds: durations.steadySeconds,
    // Enough for the pipeline never to run dry (about ten times what is in flight at the
    // maximum), small enough that the latency of the steady part is not a queue only the load
    // generator made.
    window: 2_000,
    batchSize: 100,
  };
  // Each delivery ceiling right before its end-to-end figure: the machine is shared, and
  // measured minutes apart the two would see different loads.
  log('delivery ceiling: raw SendMessageBatch to a standard queue');
  const standardCeiling = await measureDeliveryCeiling(environment, { ...ceilingOptions, fifo: false });
  log('end to end: standard queue');
  const standard = await measureEndToEnd(environment, meter, {
    ...e2e,
    customer: STANDARD_CUSTOMER,
    queueName: 'bench-standard',
  });
  log('end to end: standard queue, two worker processes');
  const secondWorker = await environment.startWorker('worker-2');
  meter.track('worker-2', secondWorker.pid);
  const twoWorkers = await measureMaximumThroughput(environment, meter, {
    ...e2e,
    customer: STANDARD_CUSTOMER,
    queueName: 'bench-standard',
  });
  meter.untrack('worker-2');
  await secondWorker.stop();
  log('delivery ceiling: raw SendMessageBatch to a FIFO queue, 1,000 groups');
  const fifoCeiling = await measureDeliveryCeiling(environment, { ...ceilingOptions, fifo: true });
  log('end to end: FIFO queue, 1,000 groups');
  const fifo = await measureEndToEnd(environment, meter, {
    ...e2e,
    customer: FIFO_CUSTOMER,
    queueName: 'bench-fifo.fifo',
  });

  log(`history: seeding ${durations.historyEvents.toLocaleString('en-US')} delivered events in SQL`);
  const seeded = await seedHistory(
    environment,
    { events: durations.historyEvents, chunk: 250_000, failedEvery: 10, days: 20 },
    log,
  );
  log(`history: seeded in ${seeded.seconds} s (${seeded.megabytes} MB); end to end: standard queue again`);
  const seededAt = new Date();
  const withHistory = await measureEndToEnd(environment, meter, {
    ...e2e,
    customer: STANDARD_CUSTOMER,
    queueName: 'bench-standard',
  });
  log('history: end to end, standard queue, while retention purges the history');
  const purge = startPurge(environment, seededAt);
  const duringPurge = await measureEndToEnd(environment, meter, {
    ...e2e,
    customer: STANDARD_CUSTOMER,
    queueName: 'bench-standard',
  });
  const purged = await purge.stop();
  log(`history: purged ${purged.events.toLocaleString('en-US')} events in ${purged.seconds} s`);

  const results: BenchResults = {
    ingest,
    delivery: { standardCeiling, fifoCeiling },
    endToEnd: { standard, fifo },
    history: {
      seeded,
      standard: withHistory,
      ratio: withHistory.maxEventsPerSecond / standard.maxEventsPerSecond,
      withPurge: {
        ...duringPurge,
        purge: purged,
        ratio: duringPurge.maxEventsPerSecond / withHistory.maxEventsPerSecond,
      },
    },
    scaleOut: {
      oneWorker: standard.maxEventsPerSecond,
      twoWorkers,
      ratio: twoWorkers.maxEventsPerSecond / standard.maxEventsPerSecond,
    },
  };
  const machine = describeMachine();
  const table = renderTable(results);
  const notes = [
    'Measured on a shared 2-core machine: other work running at the same time lowers every figure, Sluice and ceilings alike.',
    'PostgreSQL statements and Redis commands sent are counted in the API and worker processes (pg_stat_statements is not loaded on this server); Redis commands executed are INFO commandstats of the bench’s private redis-server, including those run inside BullMQ’s Lua scripts.',
  ];
  if (quick) notes.unshift('BENCH_QUICK=1: short phases, figures not comparable.');
  writeFileSync(
    benchFile('results.json'),
    `${JSON.stringify({ machine, durations, targets, verdicts: verdicts(results), notes, results }, null, 2)}\n`,
  );
  console.log(table);
  console.log(
    `\n${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.postgres}, ${machine.redis}`,
  );
  for (const note of notes) console.log(`- ${note}`);
  if (![standard, fifo, twoWorkers, withHistory, duringPurge].every((phase) => phase.allArrived)) {
    console.log('- WARNING: not every accepted event arrived in its queue within the wait; see results.json.');
  }
} catch (error) {
  exitCode = 1;
  console.error(error);
  console.error(`--- api output ---\n${environment.api.output().slice(-3_000)}`);
  console.error(`--- worker output ---\n${environment.worker.output().slice(-3_000)}`);
} finally {
  await meter.close();
  await environment.stop();
  clearTimeout(hardLimit);
}
process.exit(exitCode);
