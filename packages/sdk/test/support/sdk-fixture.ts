import { createSluice, type Sluice, type SluiceOptions } from '@sluice/sdk';
import { operationTable } from '@sluice/sdk/generated/operations';
import { createQueue } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { testOperatorKey } from '@sluice/testing/test-env';

/**
 * The real API on a loopback port, with the workers and the AWS emulators, and SDK clients for
 * the operator and for a tenant's admin key. Every request the clients send is recorded, so a
 * test can tell which operations of the document it has exercised.
 */
export interface SdkFixture {
  delivery: DeliveryFixture;
  baseUrl: string;
  operator: Sluice;
  tenant: Sluice;
  tenantKey: string;
  client(options: SluiceOptions): Sluice;
  /** `METHOD /path` of every request sent by the clients made here. */
  sent: Set<string>;
  /** Operation ids none of whose requests was sent. */
  unexercised(): string[];
  /** An SQS destination of its own customer whose queue does not exist yet (deliveries die). */
  deadQueueDestination(
    name: string,
  ): Promise<{ id: string; customerExternalId: string; createQueue(): Promise<string> }>;
  close(): Promise<void>;
}

const templateToPattern = (path: string) => new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`);

export async function startSdkFixture(): Promise<SdkFixture> {
  const delivery = await startDeliveryFixture();
  const baseUrl = await delivery.stack.app.listen({ host: '127.0.0.1', port: 0 });
  const sent = new Set<string>();
  const recordingFetch = (request: Request) => {
    sent.add(`${request.method} ${new URL(request.url).pathname}`);
    return fetch(request);
  };
  const client = (options: SluiceOptions) => {
    const send = options.fetch ?? fetch;
    return createSluice({
      baseUrl,
      ...options,
      fetch: (request) => {
        sent.add(`${request.method} ${new URL(request.url).pathname}`);
        return send(request);
      },
    });
  };
  const operator = createSluice({ baseUrl, apiKey: testOperatorKey, fetch: recordingFetch });
  const created = await operator.createApiKey({
    path: { tenantId: delivery.tenantId },
    body: { name: 'sdk tests', scopes: ['ingest', 'admin'] },
  });
  let counter = 0;
  return {
    delivery,
    baseUrl,
    operator,
    tenant: client({ apiKey: created.key }),
    tenantKey: created.key,
    client,
    sent,
    unexercised: () =>
      Object.entries(operationTable)
        .filter(
          ([, op]) =>
            ![...sent].some((request) => {
              const [method, path] = request.split(' ');
              return method === op.method && templateToPattern(op.path).test(path ?? '');
            }),
        )
        .map(([operationId]) => operationId),
    async deadQueueDestination(name) {
      const queueName = `${name}-${process.pid}-${++counter}`;
      const existing = await createQueue(delivery.aws.sqs, `${queueName}-template`);
      const queueUrl = existing.replace(/[^/]+$/, queueName);
      const destination = await delivery.sqsDestination(`${name}-unused`, { config: { queueUrl } });
      return {
        id: destination.id,
        customerExternalId: destination.customerExternalId,
        createQueue: () => createQueue(delivery.aws.sqs, queueName),
      };
    },
    close: () => delivery.close(),
  };
}
