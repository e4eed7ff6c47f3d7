import { runMigrations } from '@sluice/db/migrate';
import { type PrivatePostgres, startPrivatePostgres } from '@sluice/testing/private-postgres';
import { type StallProxy, startStallProxy } from '@sluice/testing/tcp-stall-proxy';
import { testDatabaseUrl } from '@sluice/testing/test-env';
import { afterEach, describe, expect, it } from 'vitest';
import { type AcceptedEvent, runLoad } from './load-generator.ts';
import { eventFor, type ProcessStack, startProcessStack, timedPost } from './process-stack.ts';

/**
 * PostgreSQL that hangs, and PostgreSQL that crashes under load, below the real API and worker
 * processes. Answers must come quickly (503, never a hang), no process may exit, and every
 * event accepted must reach the destination once PostgreSQL is back.
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// Short timeouts, so the test sees them work; the defaults are longer.
const timeouts = { DATABASE_STATEMENT_TIMEOUT_MS: '1500', DATABASE_CONNECT_TIMEOUT_MS: '1000' };

// Stopped at the end of each test: a worker left running would take the next test's jobs.
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => {});
});

function expectAlive(stack: ProcessStack) {
  for (const running of [stack.api, stack.worker]) {
    expect(running.child.exitCode, running.output().slice(-3_000)).toBeNull();
    expect(running.child.signalCode).toBeNull();
  }
  expect(stack.api.output() + stack.worker.output()).not.toMatch(/uncaught|unhandled/i);
}

describe('PostgreSQL that hangs', () => {
  it('gets quick answers, /readyz 503 within 2 s, and loses nothing', async () => {
    const pgUrl = new URL(testDatabaseUrl);
    const proxy: StallProxy = await startStallProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    cleanup.push(() => proxy.stop());
    pgUrl.port = String(proxy.port);
    const stack = await startProcessStack({ DATABASE_URL: pgUrl.toString(), ...timeouts }, 'pg-stall');
    cleanup.push(() => stack.stop());

    const accepted: string[] = [];
    const before = await timedPost(stack, eventFor(stack, 'before'));
    expect(before.status).toBe(202);
    accepted.push(before.id!);

    const stall = proxy.stall(8_000);
    await sleep(200);
    const readyStarted = performance.now();
    const ready = await fetch(`${stack.baseUrl}/readyz`);
    const readyMs = performance.now() - readyStarted;
    const during = [];
    for (let i = 0; i < 3; i++) during.push(await timedPost(stack, eventFor(stack, `stalled-${i}`)));
    await stall;

    console.log(`stalled PostgreSQL: /readyz ${ready.status} in ${readyMs.toFixed(0)} ms; POSTs`, during);
    expect(ready.status).toBe(503);
    expect(readyMs).toBeLessThan(3_000);
    for (const answer of during) {
      // 503 (the database did not answer in time) or 202 (it did, just in time): never a hang.
      expect([202, 503]).toContain(answer.status);
      expect(answer.ms).toBeLessThan(6_000);
    }
    // A 503 may still have been stored (the INSERT can commit after the answer gave up): the
    // client's retry with the same key tells, as idempotency promises.
    for (let i = 0; i < during.length; i++) {
      const retry = await timedPost(stack, eventFor(stack, `stalled-${i}`));
      expect([200, 202]).toContain(retry.status);
      accepted.push(retry.id!);
    }
    await stack.waitForDelivery(accepted, 60_000);
    expect((await fetch(`${stack.baseUrl}/readyz`)).status).toBe(200);
    expectAlive(stack);
  });
});

describe('PostgreSQL that crashes under load', () => {
  it('takes no process down, answers 503 quickly meanwhile, and delivers every accepted event', async () => {
    const postgres: PrivatePostgres = await startPrivatePostgres();
    cleanup.push(() => postgres.stop());
    await runMigrations(postgres.url);
    const stack = await startProcessStack({ DATABASE_URL: postgres.url, ...timeouts }, 'pg-crash');
    cleanup.push(() => stack.stop());

    const log: string[] = [];
    const outage = async () => {
      for (const round of [1, 2]) {
        await sleep(3_000);
        log.push(`crash ${round}`);
        await postgres.crash();
        await sleep(2_500);
        await postgres.start();
        log.push(`restart ${round}`);
      }
    };
    const [load] = await Promise.all([
      runLoad({
        baseUrl: () => stack.baseUrl,
        apiKey: stack.apiKey,
        customerExternalId: stack.customerExternalId,
        lanes: 6,
        durationMs: 15_000,
        pauseMs: 30,
      }),
      outage(),
    ]);
    const accepted: AcceptedEvent[] = load.accepted;
    console.log(
      `PostgreSQL crashes: ${log.join(', ')}; ${accepted.length} accepted, ${load.serverErrors} answers 5xx, ` +
        `slowest refused answer ${load.slowestRefusalMs.toFixed(0)} ms`,
    );
    expect(accepted.length).toBeGreaterThan(100);
    // The outages were seen (refused with 503), and refused fast: the database was down, not slow.
    expect(load.serverErrors).toBeGreaterThan(0);
    expect(load.slowestRefusalMs).toBeLessThan(5_000);

    await stack.waitForDelivery(
      accepted.map((event) => event.id),
      90_000,
    );
    expectAlive(stack);
    expect((await fetch(`${stack.baseUrl}/readyz`)).status).toBe(200);
  });
});
