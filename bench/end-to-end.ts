import type { CostMeter, WindowCost } from './cost.ts';
import type { BenchEnvironment } from './environment.ts';
import { benchBatchJson } from './events.ts';
import { sleep } from './processes.ts';
import type { LatencySummary } from './stats.ts';

/**
 * End to end: events posted to the API until they are stored in the destination queue.
 * First the maximum: batches posted as fast as the pipeline takes them, with at most
 * `window` events accepted and not yet arrived, so the load follows the delivery rate
 * instead of piling up a backlog. Then a steady rate of half that maximum, where the
 * accept-to-arrival latencies are recorded. Events go in through POST /v1/events/batch in
 * both, so the API's share of the two cores stays small and the figure is about delivery.
 */

export interface EndToEndOptions {
  customer: string;
  /** The queue's name, as the arrival recorder keys it. */
  queueName: string;
  warmupSeconds: number;
  maxSeconds: number;
  steadySeconds: number;
  window: number;
  batchSize: number;
}

export interface MaximumResult {
  maxEventsPerSecond: number;
  /** CPU cores used per process while at the maximum. */
  maxCpuCores: Record<string, number>;
  /** Every accepted event arrived (checked after each part has drained). */
  allArrived: boolean;
  accepted: number;
  arrived: number;
}

export interface EndToEndResult extends MaximumResult {
  steady: {
    offeredPerSecond: number;
    deliveredPerSecond: number;
    latency: LatencySummary;
    cost: WindowCost;
  };
}

function createPoster(env: BenchEnvironment, customer: string) {
  let accepted = 0;
  let failures = 0;
  return {
    accepted: () => accepted,
    failures: () => failures,
    async post(size: number): Promise<void> {
      const response = await fetch(`${env.apiUrl}/v1/events/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...env.ingestAuth },
        body: benchBatchJson(customer, size),
      }).catch(() => undefined);
      if (!response?.ok) {
        failures += 1;
        return;
      }
      const answer = (await response.json()) as { results: { status: string }[] };
      accepted += answer.results.filter((r) => r.status === 'accepted').length;
    },
  };
}

async function arrivedIn(env: BenchEnvironment, queueName: string): Promise<number> {
  const { counts } = await env.fauxqs.ask<{ counts: Record<string, number> }>('counts');
  return counts[queueName] ?? 0;
}

/** Waits until `target` events have arrived, for at most `timeoutMs`; returns how many did. */
async function waitForArrivals(env: BenchEnvironment, queueName: string, target: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let arrived = await arrivedIn(env, queueName);
  while (arrived < target && Date.now() < deadline) {
    await sleep(100);
    arrived = await arrivedIn(env, queueName);
  }
  return arrived;
}

async function measureMaximum(env: BenchEnvironment, meter: CostMeter, options: EndToEndOptions, baseline: number) {
  const poster = createPoster(env, options.customer);
  let arrived = baseline;
  let stop = false;
  const poll = (async () => {
    while (!stop) {
      arrived = await arrivedIn(env, options.queueName);
      await sleep(50);
    }
  })();
  const lane = async () => {
    while (!stop) {
      if (poster.accepted() - (arrived - baseline) >= options.window) await sleep(5);
      else await poster.post(options.batchSize);
    }
  };
  const lanes = [lane(), lane()];
  await sleep(options.warmupSeconds * 1000);
  const startCount = await arrivedIn(env, options.queueName);
  const cpuBefore = meter.cpu();
  const startedAt = performance.now();
  await sleep(options.maxSeconds * 1000);
  const endCount = await arrivedIn(env, options.queueName);
  const seconds = (performance.now() - startedAt) / 1000;
  const cpuCores = meter.cpuCores(cpuBefore, meter.cpu(), seconds);
  stop = true;
  await Promise.all([...lanes, poll]);
  return { eventsPerSecond: (endCount - startCount) / seconds, accepted: poster.accepted(), cpuCores };
}

/** Open loop: every 20 ms, posts what the rate says is due, whatever the answers' latency. */
async function offerSteadyRate(env: BenchEnvironment, options: EndToEndOptions, rate: number, seconds: number) {
  const poster = createPoster(env, options.customer);
  const inFlight = new Set<Promise<void>>();
  const startedAt = performance.now();
  let offered = 0;
  while (performance.now() - startedAt < seconds * 1000) {
    const due = Math.floor((rate * (performance.now() - startedAt)) / 1000) - offered;
    for (let left = due; left > 0; left -= options.batchSize) {
      const size = Math.min(left, options.batchSize);
      offered += size;
      const request = poster.post(size).finally(() => inFlight.delete(request));
      inFlight.add(request);
    }
    await sleep(20);
  }
  await Promise.all(inFlight);
  return { offered, accepted: poster.accepted(), seconds: (performance.now() - startedAt) / 1000 };
}

/** The maximum alone (the scale-out and purge phases), once every event accepted has arrived. */
export async function measureMaximumThroughput(
  env: BenchEnvironment,
  meter: CostMeter,
  options: EndToEndOptions,
): Promise<MaximumResult> {
  const baseline = await arrivedIn(env, options.queueName);
  const maximum = await measureMaximum(env, meter, options, baseline);
  const expected = baseline + maximum.accepted;
  const arrived = await waitForArrivals(env, options.queueName, expected, 30_000);
  return {
    maxEventsPerSecond: maximum.eventsPerSecond,
    maxCpuCores: maximum.cpuCores,
    allArrived: arrived >= expected,
    accepted: maximum.accepted,
    arrived: arrived - baseline,
  };
}

export async function measureEndToEnd(
  env: BenchEnvironment,
  meter: CostMeter,
  options: EndToEndOptions,
): Promise<EndToEndResult> {
  const baseline = await arrivedIn(env, options.queueName);
  const maximum = await measureMaximumThroughput(env, meter, options);
  let expected = baseline + maximum.accepted;
  let arrived = baseline + maximum.arrived;
  let allArrived = maximum.allArrived;

  const rate = Math.max(100, Math.round(maximum.maxEventsPerSecond / 2));
  await offerSteadyRate(env, options, rate, options.warmupSeconds).then((warm) => (expected += warm.accepted));
  arrived = await waitForArrivals(env, options.queueName, expected, 10_000);
  await env.fauxqs.ask('take-latencies', { queue: options.queueName });

  const before = await meter.snapshot();
  const steadyStart = arrived;
  const steady = await offerSteadyRate(env, options, rate, options.steadySeconds);
  const cpuAfter = meter.cpu();
  expected += steady.accepted;
  arrived = await waitForArrivals(env, options.queueName, expected, 30_000);
  allArrived &&= arrived >= expected;
  // pg_stat_database counters reach the server at most once a second.
  await sleep(1_100);
  const after = await meter.snapshot();
  const latency = await env.fauxqs.ask<LatencySummary>('take-latencies', { queue: options.queueName });
  const delivered = arrived - steadyStart;
  return {
    maxEventsPerSecond: maximum.maxEventsPerSecond,
    maxCpuCores: maximum.maxCpuCores,
    steady: {
      offeredPerSecond: steady.offered / steady.seconds,
      deliveredPerSecond: delivered / steady.seconds,
      latency,
      cost: meter.cost(before, after, delivered, meter.cpuCores(before.cpu, cpuAfter, steady.seconds)),
    },
    allArrived,
    accepted: expected - baseline,
    arrived: arrived - baseline,
  };
}
