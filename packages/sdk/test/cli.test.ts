import { receiveAll } from '@sluice/testing/aws-test-resources';
import { waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliInProcess, startCli } from './support/run-cli.ts';
import { type SdkFixture, startSdkFixture } from './support/sdk-fixture.ts';

/**
 * The `sluice` CLI against the real API on a port, the real workers and the AWS emulators: the
 * long-running commands (replay-all, tail) and the exit codes as separate processes configured
 * by SLUICE_URL and SLUICE_API_KEY, the short commands in this process with --url and --api-key.
 */
let fixture: SdkFixture;
let env: Record<string, string>;
let flags: string[];
beforeAll(async () => {
  fixture = await startSdkFixture();
  env = { SLUICE_URL: fixture.baseUrl, SLUICE_API_KEY: fixture.tenantKey };
  flags = ['--url', fixture.baseUrl, '--api-key', fixture.tenantKey];
}, 60_000);
afterAll(() => fixture?.close());

const event = (customer: string, n: number) => ({
  eventType: 'order.completed',
  occurredAt: '2026-05-26T14:21:08.493Z',
  source: 'cli-test',
  customerExternalId: customer,
  idempotencyKey: `cli-${customer}-${n}`,
  payload: { n },
});

describe('the sluice CLI', { timeout: 60_000 }, () => {
  it('replays every matching dead letter, following the bulk replay to done; the messages arrive', async () => {
    const dead = await fixture.deadQueueDestination('cli-replay');
    const eventIds = await Promise.all(
      Array.from({ length: 40 }, () => fixture.delivery.postEvent({ customerExternalId: dead.customerExternalId })),
    );
    await waitFor(async () => {
      const page = await fixture.tenant.listDlqEntries({ query: { destinationId: dead.id, limit: 200 } });
      return page.data.length === 40;
    }, 20_000);
    const queueUrl = await dead.createQueue();

    const run = await cli(['dlq', 'replay-all', '--filter', `destinationId=${dead.id}`], env);
    expect(run.stderr).toMatch(/^replay \S+: 40 entries$/m);
    const progress = run.stderr.split('\n').filter((line) => line.startsWith('['));
    expect(progress.at(-1)).toMatch(/^\[#{30}\] 100%\s+40\/40\s+0 failed$/);
    expect(run.stdout.trim()).toBe('done: 40 replayed, 0 failed of 40');
    expect(run.code).toBe(0);

    const arrived: string[] = [];
    await waitFor(async () => {
      for (const message of await receiveAll(fixture.delivery.aws.sqs, queueUrl))
        arrived.push(JSON.parse(message.Body ?? '{}').id);
      return arrived.length >= 40;
    }, 20_000);
    expect(arrived.sort()).toEqual([...eventIds].sort());
    expect((await cliInProcess([...flags, 'dlq', 'list', '--filter', `destinationId=${dead.id}`])).stdout.trim()).toBe(
      '(none)',
    );
  });

  it('tails a destination: each delivery as it happens, until Ctrl-C (exit 0)', async () => {
    const queue = await fixture.delivery.sqsDestination('cli-tail');
    const tail = startCli(['tail', queue.id, '--interval', '200', '--json'], env);
    await waitFor(async () => tail.stderr().includes('following deliveries'));
    const eventIds = [await queue.post(), await queue.post(), await queue.post()];
    const delivered = () =>
      tail
        .stdout()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
        .filter((delivery) => delivery.status === 'delivered')
        .map((delivery) => delivery.eventId);
    await waitFor(async () => delivered().length === 3, 20_000);
    expect(delivered().sort()).toEqual([...eventIds].sort());
    tail.child.kill('SIGINT');
    expect((await tail.done).code).toBe(0);
  });

  it('sends events from stdin in batches; a rejected event makes the exit code 1', async () => {
    const customer = `cli-send-${process.pid}`;
    const input = [event(customer, 1), { ...event(customer, 2), occurredAt: 'soon' }, event(customer, 3)]
      .map((e) => JSON.stringify(e))
      .join('\n');
    const run = await cli(['events', 'send'], env, input);
    expect(run.stdout).toContain('3 events: 2 accepted, 0 duplicates, 1 rejected (1 requests)');
    expect(run.stdout).toMatch(/event 1: occurredAt /);
    expect(run.code).toBe(1);

    const again = await cliInProcess([
      ...flags,
      '--json',
      'events',
      'send',
      '--data',
      JSON.stringify([event(customer, 1)]),
    ]);
    expect(JSON.parse(again.stdout)).toMatchObject({ duplicates: 1, results: [{ index: 0, status: 'duplicate' }] });
    expect(again.code).toBe(0);
    const listed = JSON.parse(
      (await cliInProcess([...flags, '--json', 'events', 'list', '--customer', customer])).stdout,
    );
    expect(listed).toHaveLength(2);
    const shown = await cliInProcess([...flags, 'events', 'get', listed[0].id]);
    expect(shown.stdout).toContain(`order.completed ${listed[0].id} for ${customer}`);
  });

  it('lists, shows, tests, pauses and resumes destinations; lists and shows deliveries', async () => {
    const queue = await fixture.delivery.sqsDestination('cli-destinations');
    const listed = JSON.parse(
      (await cliInProcess([...flags, '--json', 'destinations', 'list', '--customer', queue.customerExternalId])).stdout,
    );
    expect(listed.map((d: { id: string }) => d.id)).toEqual([queue.id]);
    expect((await cliInProcess([...flags, 'destinations', 'get', queue.id])).stdout).toContain(queue.queueUrl);
    const test = await cliInProcess([...flags, 'destinations', 'test', queue.id]);
    expect(test.stdout).toMatch(/^passed in \d+ ms/);
    expect(test.code).toBe(0);
    expect((await cliInProcess([...flags, 'destinations', 'pause', queue.id])).stdout).toContain('paused: paused');
    expect((await cliInProcess([...flags, 'destinations', 'resume', queue.id])).stdout).toContain('resumed: active');
    const event = {
      eventType: 'order.completed',
      occurredAt: '2026-05-26T14:21:08.493Z',
      source: 'billing-service',
      customerExternalId: queue.customerExternalId,
      idempotencyKey: 'cli-preview-1',
      payload: { orderId: 'ord_cli_preview' },
    };
    const preview = await cliInProcess([...flags, 'destinations', 'preview', queue.id], JSON.stringify(event));
    expect(preview.code).toBe(0);
    expect(preview.stdout).toMatch(/^\d+ bytes, fits/);
    expect(preview.stdout).toContain('"orderId":"ord_cli_preview"');

    const eventId = await queue.post();
    const deliveryId = await waitFor(async () => {
      const run = await cliInProcess([
        ...flags,
        '--json',
        'deliveries',
        'list',
        '--destination',
        queue.id,
        '--status',
        'delivered',
      ]);
      return JSON.parse(run.stdout).find((d: { eventId: string }) => d.eventId === eventId)?.id;
    });
    expect((await cliInProcess([...flags, 'deliveries', 'get', deliveryId])).stdout).toMatch(
      /#1 .* delivered in \d+ ms/,
    );
  });

  it('shows, replays and discards single dead letters', async () => {
    const dead = await fixture.deadQueueDestination('cli-single');
    await Promise.all([1, 2].map(() => fixture.delivery.postEvent({ customerExternalId: dead.customerExternalId })));
    const entries: { id: string }[] = await waitFor(async () => {
      const run = await cliInProcess([...flags, '--json', 'dlq', 'list', '--filter', `destinationId=${dead.id}`]);
      const list = JSON.parse(run.stdout);
      return list.length === 2 && list;
    });
    expect((await cliInProcess([...flags, 'dlq', 'get', entries[0]!.id])).stdout).toContain('permanent_error');
    await dead.createQueue();
    expect((await cliInProcess([...flags, 'dlq', 'replay', entries[0]!.id])).stdout).toMatch(
      /^replaying \S+: delivery \S+/,
    );
    expect((await cliInProcess([...flags, 'dlq', 'discard', entries[1]!.id])).stdout.trim()).toBe(
      `discarded ${entries[1]!.id}`,
    );
  });

  it('exits 1 with the problem when the API refuses, 2 when called wrongly', async () => {
    const missing = await cli(['events', 'get', '019a5c1e-7b2f-7c3e-9d41-1f2e3a4b5c6d'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: 404 not_found: .* \(request \S+\)$/m);
    const noKey = await cli(['destinations', 'list'], { SLUICE_URL: fixture.baseUrl });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('No API key');
    const badFilter = await cliInProcess([...flags, 'dlq', 'replay-all', '--filter', 'colour=blue']);
    expect(badFilter.code).toBe(2);
    const invalid = await cliInProcess([...flags, 'dlq', 'list', '--filter', 'destinationId=not-an-id']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('destinationId');
  });
});
