import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import { createHttpHandler } from '@sluice/aws/http-handler';
import { newId } from '@sluice/db/ids';
import { deduplicationId, eventAttributes, eventBody, messageGroupId } from '@sluice/destinations/message-encoding';
import type { DeliverableEvent } from '@sluice/destinations/types';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from '@sluice/testing/aws-emulators';
import { createQueue } from '@sluice/testing/aws-test-resources';
import type { BenchEnvironment } from './environment.ts';
import { benchEvent, STANDARD_CUSTOMER } from './events.ts';
import { benchFile, spawnNode } from './processes.ts';

/**
 * The limits Sluice is measured against, in the same run and on the same machine:
 * - ingest: a bare Fastify route doing one prepared INSERT of the same events row
 *   (ceiling-ingest-server.ts; ingest.ts measures it in alternation with Sluice);
 * - delivery: SendMessageBatch to fauxqs from one process, with messages encoded exactly as
 *   Sluice encodes them, as fast as fauxqs takes them.
 */

/** The ingest ceiling's server (ceiling-ingest-server.ts) in a process of its own, like the API. */
export async function startIngestCeiling(
  env: BenchEnvironment,
): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const server = await spawnNode({
    name: 'ingest-ceiling',
    entry: benchFile('ceiling-ingest-server.ts'),
    env: { ...env.processEnv, BENCH_TENANT_ID: env.tenantId },
    ready: /ceiling listening at/,
  });
  return {
    url: /ceiling listening at (\S+)/.exec(server.output())![1]!,
    pid: server.pid,
    stop: () => server.stop(),
  };
}

export interface DeliveryCeiling {
  messagesPerSecond: number;
  failedEntries: number;
}

/** As Sluice's SQS adapter builds an entry: the contract's body, String attributes, FIFO ids. */
function sqsEntry(index: number, fifo: boolean): SendMessageBatchRequestEntry {
  const input = benchEvent(STANDARD_CUSTOMER);
  const event = { ...input, id: newId(), receivedAt: new Date().toISOString() } as unknown as DeliverableEvent;
  const attributes = Object.fromEntries(
    eventAttributes(event).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
  );
  const entry: SendMessageBatchRequestEntry = {
    Id: `m${index}`,
    MessageBody: eventBody(event),
    MessageAttributes: attributes,
  };
  if (fifo) {
    entry.MessageGroupId = messageGroupId(event, 'payload.accountId');
    entry.MessageDeduplicationId = deduplicationId(event);
  }
  return entry;
}

/**
 * Batches of 10 with `concurrency` calls in flight for `seconds`, through an SDK client set up
 * as Sluice sets up its own (keep-alive HTTP/1.1 handler, one attempt per call).
 */
export async function measureDeliveryCeiling(
  env: BenchEnvironment,
  options: { fifo: boolean; seconds: number; concurrency: number },
): Promise<DeliveryCeiling> {
  const sqs = new SQSClient({
    region: EMULATOR_REGION,
    credentials: EMULATOR_CREDENTIALS,
    endpoint: env.fauxqsEndpoint,
    requestHandler: createHttpHandler(),
    maxAttempts: 1,
  });
  const queueUrl = await createQueue(sqs, options.fifo ? 'ceiling-fifo.fifo' : 'ceiling-standard');
  const send = () =>
    sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Array.from({ length: 10 }, (_, index) => sqsEntry(index, options.fifo)),
      }),
    );
  // Warm-up: connections open, the SDK's middleware stack resolves once.
  await Promise.all(Array.from({ length: options.concurrency }, send));

  let sent = 0;
  let failed = 0;
  const startedAt = performance.now();
  const endAt = startedAt + options.seconds * 1000;
  const lane = async () => {
    while (performance.now() < endAt) {
      const answer = await send();
      sent += answer.Successful?.length ?? 0;
      failed += answer.Failed?.length ?? 0;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, lane));
  const seconds = (performance.now() - startedAt) / 1000;
  sqs.destroy();
  return { messagesPerSecond: sent / seconds, failedEntries: failed };
}
