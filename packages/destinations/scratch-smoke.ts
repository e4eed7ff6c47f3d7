import { createAwsClientCache } from '@sluice/aws/clients';
import { createCredentialBroker } from '@sluice/aws/credentials';
import { startAwsEmulators } from '@sluice/testing/aws-emulators';
import {
  createQueue,
  createStream,
  createTopicWithQueue,
  emulatorClients,
  readStream,
  receiveAll,
} from '@sluice/testing/aws-test-resources';
import { configureDestination } from './src/registry.ts';

const em = await startAwsEmulators();
console.log(em.sqsSnsEndpoint, em.kinesisEndpoint, em.stsEndpoint);
const c = emulatorClients(em);
const q = await createQueue(c.sqs, 'orders.fifo');
const qs = await createQueue(c.sqs, 'plain');
const { topicArn, queueUrl: tq } = await createTopicWithQueue(c, 'events');
const streamArn = await createStream(c.kinesis, 'stream1', 2);
console.log(q, qs, topicArn, tq, streamArn);
const clients = createAwsClientCache({
  endpoints: { sqs: em.sqsSnsEndpoint, sns: em.sqsSnsEndpoint, kinesis: em.kinesisEndpoint },
});
const broker = createCredentialBroker({
  region: 'us-east-1',
  stsEndpoint: em.stsEndpoint,
  serviceCredentials: { accessKeyId: 'a', secretAccessKey: 'b' },
});
em.fakeSts.allowRole('arn:aws:iam::123456789012:role/W', 'ext-1');
const credentials = broker.forDestination(
  { mode: 'assume_role', roleArn: 'arn:aws:iam::123456789012:role/W', externalId: 'ext-1' },
  { tenantId: 't1' },
);
const event = (i: number) => ({
  id: `e${i}`,
  eventType: 'order.completed',
  occurredAt: new Date().toISOString(),
  source: 'billing',
  customerExternalId: 'acct_1',
  idempotencyKey: `k${i}`,
  payload: { orderId: `o${i}` },
  receivedAt: new Date().toISOString(),
});
for (const [type, cfg] of [
  ['sqs', { queueUrl: q }],
  ['sqs', { queueUrl: qs }],
  ['sns', { topicArn }],
  ['kinesis', { streamArn }],
] as const) {
  const r = configureDestination(type, cfg, { endpointOverride: 'x' });
  if (!r.ok) {
    console.log(r.errors);
    continue;
  }
  const out = await r.destination.sendBatch(
    { clients, credentials },
    [0, 1, 2].map((i) => ({ deliveryId: `d${i}`, event: event(i) })),
  );
  console.log(type, JSON.stringify(out));
  console.log(JSON.stringify(await r.destination.probe({ clients, credentials })));
}
console.log(
  (await receiveAll(c.sqs, q)).length,
  (await receiveAll(c.sqs, tq)).map((m) => [m.Body?.slice(0, 40), Object.keys(m.MessageAttributes ?? {})]),
);
console.log((await readStream(c.kinesis, 'stream1')).length, em.fakeSts.calls.length);
console.log(await broker.identityOf(credentials), await broker.serviceIdentity());
clients.destroy();
c.destroy();
broker.destroy();
await em.stop();
