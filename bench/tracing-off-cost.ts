import { activeTraceparent, contextOfTraceparent, inSpan } from '@sluice/telemetry/spans';
import { isTracingOn } from '@sluice/telemetry/tracing';

/**
 * `npx tsx bench/tracing-off-cost.ts`: what OpenTelemetry costs while it is off (no exporter
 * configured, the default). Off, the API registers no tracing hooks, the logger no trace mixin
 * and the AWS clients no tracing middleware; what is left on the hot path are the helpers below,
 * each a check of isTracingOn(): per accepted event one activeTraceparent(), per fan-out batch
 * and per drain round one inSpan(), per drain round one traceSends() (the same check), per
 * delivered message none. This measures those helpers against the same work called directly,
 * in alternating rounds, and prints the CPU they add per call. Multiply by the calls per
 * message (at most about 1.1 at the bench's batch sizes) and compare with the CPU per message
 * the bench reports (hundreds of microseconds across all processes).
 */
if (isTracingOn()) throw new Error('tracing must be off for this measurement');

const CALLS = 2_000_000;
const ROUNDS = 7;
const work = async () => 1;
const storedTraceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

async function direct(count: number): Promise<number> {
  let sum = 0;
  for (let i = 0; i < count; i++) sum += await work();
  return sum;
}

async function helpers(count: number): Promise<number> {
  let sum = 0;
  for (let i = 0; i < count; i++) {
    sum += await inSpan('drain', { parent: contextOfTraceparent(storedTraceparent) }, work);
    if (activeTraceparent() !== null) throw new Error('a traceparent while tracing is off');
  }
  return sum;
}

async function cpuNanosPerCall(run: (count: number) => Promise<number>): Promise<number> {
  const before = process.cpuUsage();
  await run(CALLS);
  const used = process.cpuUsage(before);
  return ((used.user + used.system) * 1000) / CALLS;
}

await direct(CALLS);
await helpers(CALLS);
const added: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const base = await cpuNanosPerCall(direct);
  const traced = await cpuNanosPerCall(helpers);
  added.push(traced - base);
}
added.sort((a, b) => a - b);
const median = added[ROUNDS >> 1]!;
console.log(
  JSON.stringify(
    {
      callsPerRound: CALLS,
      rounds: ROUNDS,
      medianCpuNanosecondsAddedPerCall: Number(median.toFixed(1)),
      note: 'one call = inSpan + contextOfTraceparent + activeTraceparent with tracing off',
    },
    null,
    2,
  ),
);
