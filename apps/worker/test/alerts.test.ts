import { createAwsRuntime } from '@sluice/aws/aws-runtime';
import { parseConfig } from '@sluice/config/env';
import { connectDatabase } from '@sluice/db/client';
import { createWorkerConnection } from '@sluice/jobs/redis';
import { createLogger } from '@sluice/logger/logger';
import { collectMessages, receiveAll } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { waitFor } from '@sluice/testing/stack';
import { testDatabaseUrl, testRedisUrl } from '@sluice/testing/test-env';
import { startWorkers } from '@sluice/worker/workers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Short rules and a fast evaluator: the behaviour is the same as with the defaults, only sooner.
const ALERTS = { intervalMs: 200, confirmMs: 300 };

let fx: DeliveryFixture;
beforeAll(async () => {
  fx = await startDeliveryFixture({ alerts: ALERTS });
});
afterAll(() => fx.close());

interface AlertMessage {
  eventType: string;
  source: string;
  customerExternalId: string;
  idempotencyKey: string;
  payload: {
    destinationId: string;
    destinationName: string;
    rule: string;
    value: number;
    threshold: number;
    since: string;
  };
}

const alertsIn = async (queueUrl: string, count: number, timeoutMs = 20_000): Promise<AlertMessage[]> =>
  (await collectMessages(fx.aws.sqs, queueUrl, count, { timeoutMs, settleMs: 1_000 })).map((m) => JSON.parse(m.Body!));

const openAlerts = async (query: string) =>
  (await fx.stack.app.inject({ method: 'GET', url: `/v1/alerts?${query}`, headers: fx.auth })).json().data as {
    rule: string;
    destinationId: string;
  }[];

const replayDeadLetters = async (destinationId: string) => {
  const response = await fx.stack.app.inject({
    method: 'POST',
    url: '/v1/dlq/replay',
    headers: fx.auth,
    payload: { destinationId },
  });
  expect(response.statusCode).toBe(202);
};

const byRule = (messages: AlertMessage[]) => messages.map((m) => `${m.eventType} ${m.payload.rule}`).sort();

describe('alerts delivered as events', () => {
  it('opens when a destination breaks, reaches the customer alert queue, and resolves once fixed and replayed', async () => {
    const customerExternalId = `alerting-${process.pid}-1`;
    const watched = await fx.sqsDestination('watched', {
      customerExternalId,
      eventTypes: ['order.*'],
      alerts: { dlqOpenAbove: 0, failingForSeconds: 2, oldestPendingSecondsAbove: null },
    });
    const inbox = await fx.sqsDestination('alert-inbox', { customerExternalId, eventTypes: ['sluice.alert.*'] });

    // The customer's trust policy no longer lets Sluice in: the delivery dies (AccessDenied is permanent).
    fx.emulators.fakeSts.revokeRole(watched.roleArn);
    const brokenAt = Date.now();
    await watched.post();

    const opened = await alertsIn(inbox.queueUrl, 2);
    // Within the rule's time: 2 s of failing, plus evaluation and delivery.
    expect(Date.now() - brokenAt).toBeLessThan(2_000 + 15_000);
    expect(byRule(opened)).toEqual(['sluice.alert.opened dlqOpenAbove', 'sluice.alert.opened failingForSeconds']);
    for (const message of opened) {
      expect(message).toMatchObject({
        source: 'sluice',
        customerExternalId,
        payload: {
          destinationId: watched.id,
          destinationName: 'sqs destination',
          since: expect.stringMatching(/Z$/),
        },
      });
      expect(message.idempotencyKey).toMatch(/^sluice\.alert\.[0-9a-f-]{36}\.opened$/);
    }
    const dlqAlert = opened.find((m) => m.payload.rule === 'dlqOpenAbove');
    expect(dlqAlert?.payload).toMatchObject({ value: 1, threshold: 0 });
    const failingAlert = opened.find((m) => m.payload.rule === 'failingForSeconds');
    expect(failingAlert?.payload.value).toBeGreaterThan(2);
    expect((await openAlerts(`destinationId=${watched.id}`)).map((a) => a.rule).sort()).toEqual([
      'dlqOpenAbove',
      'failingForSeconds',
    ]);
    const health = (
      await fx.stack.app.inject({ method: 'GET', url: `/v1/destinations/${watched.id}`, headers: fx.auth })
    ).json().health;
    expect(health).toMatchObject({ state: 'failing', detail: expect.stringContaining('AssumeRole') });

    // Fixed and replayed: delivered, so both alerts clear.
    fx.emulators.fakeSts.allowRole(watched.roleArn, watched.externalId);
    await replayDeadLetters(watched.id);
    const resolved = await alertsIn(inbox.queueUrl, 2);
    expect(byRule(resolved)).toEqual(['sluice.alert.resolved dlqOpenAbove', 'sluice.alert.resolved failingForSeconds']);
    expect(resolved.find((m) => m.payload.rule === 'dlqOpenAbove')?.payload).toMatchObject({ value: 0, threshold: 0 });
    expect(await openAlerts(`customerExternalId=${customerExternalId}`)).toEqual([]);
    // The watched queue got its event back, and never an alert about itself.
    const arrived = (await receiveAll(fx.aws.sqs, watched.queueUrl)).map((m) => JSON.parse(m.Body!).eventType);
    expect(arrived).toEqual(['order.completed']);
  });

  it('never sends an alert to the destination it is about', async () => {
    const customerExternalId = `alerting-${process.pid}-2`;
    const broken = await fx.sqsDestination('alerts-a', {
      customerExternalId,
      eventTypes: ['order.*', 'sluice.alert.*'],
      alerts: { dlqOpenAbove: 0, failingForSeconds: null, oldestPendingSecondsAbove: null },
    });
    const other = await fx.sqsDestination('alerts-b', { customerExternalId, eventTypes: ['sluice.alert.*'] });
    fx.emulators.fakeSts.revokeRole(broken.roleArn);
    await broken.post();

    const [alert] = await alertsIn(other.queueUrl, 1);
    expect(alert).toMatchObject({ eventType: 'sluice.alert.opened', payload: { destinationId: broken.id } });
    const { rows } = await fx.stack.database.pool.query<{ destination_id: string }>(
      `select d.destination_id from deliveries d join events e on e.id = d.event_id
       where e.tenant_id = $1 and e.idempotency_key = $2`,
      [fx.tenantId, alert!.idempotencyKey],
    );
    expect(rows.map((row) => row.destination_id)).toEqual([other.id]);
  });

  it('emits each state once with two workers evaluating at the same time', async () => {
    const config = parseConfig({
      NODE_ENV: 'test',
      DATABASE_URL: testDatabaseUrl,
      REDIS_URL: testRedisUrl,
      ...fx.awsEnv,
    });
    const database = connectDatabase(testDatabaseUrl, { max: 5 });
    const connection = createWorkerConnection(testRedisUrl);
    const aws = createAwsRuntime(config);
    const second = startWorkers({
      database,
      workerRedis: connection,
      producerRedis: fx.stack.redis,
      aws,
      awsEndpoints: config.awsEndpoints,
      logger: createLogger({ level: 'silent' }),
      sweeper: { intervalMs: 60_000 },
      alerts: ALERTS,
    });
    try {
      const customerExternalId = `alerting-${process.pid}-3`;
      const watched = await fx.sqsDestination('watched-twice', {
        customerExternalId,
        eventTypes: ['order.*'],
        alerts: { dlqOpenAbove: 0, failingForSeconds: null, oldestPendingSecondsAbove: null },
      });
      const inbox = await fx.sqsDestination('inbox-twice', { customerExternalId, eventTypes: ['sluice.alert.*'] });
      fx.emulators.fakeSts.revokeRole(watched.roleArn);
      await watched.post();
      await watched.post();
      // Both workers see the dead letters for several evaluations; one opens the alert.
      const opened = await alertsIn(inbox.queueUrl, 1);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      opened.push(...(await receiveAll(fx.aws.sqs, inbox.queueUrl)).map((m) => JSON.parse(m.Body!)));
      expect(byRule(opened)).toEqual(['sluice.alert.opened dlqOpenAbove']);

      fx.emulators.fakeSts.allowRole(watched.roleArn, watched.externalId);
      await replayDeadLetters(watched.id);
      const resolved = await alertsIn(inbox.queueUrl, 1);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      resolved.push(...(await receiveAll(fx.aws.sqs, inbox.queueUrl)).map((m) => JSON.parse(m.Body!)));
      expect(byRule(resolved)).toEqual(['sluice.alert.resolved dlqOpenAbove']);

      const { rows } = await fx.stack.database.pool.query<{ event_type: string; n: number }>(
        `select event_type, count(*)::int as n from events
         where tenant_id = $1 and source = 'sluice' and payload->>'destinationId' = $2 group by event_type`,
        [fx.tenantId, watched.id],
      );
      expect(rows.sort((a, b) => a.event_type.localeCompare(b.event_type))).toEqual([
        { event_type: 'sluice.alert.opened', n: 1 },
        { event_type: 'sluice.alert.resolved', n: 1 },
      ]);
      await waitFor(async () => (await openAlerts(`destinationId=${watched.id}`)).length === 0);
    } finally {
      await second.close();
      aws.destroy();
      await Promise.allSettled([database.close(), connection.quit()]);
    }
  });
});
