import { createAwsClientCache } from '@sluice/aws/clients';
import { createCredentialBroker } from '@sluice/aws/credentials';
import { type AwsEmulators, EMULATOR_CREDENTIALS, startAwsEmulators } from '@sluice/testing/aws-emulators';
import { createQueue, type EmulatorClients, emulatorClients, receiveAll } from '@sluice/testing/aws-test-resources';
import { type FaultProxy, startFaultProxy } from '@sluice/testing/fault-proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDestinationResolver, type StoredDestination } from '../src/resolver.ts';
import type { DeliveryOutcome } from '../src/types.ts';
import { makeEvent, uniqueName } from './harness.ts';

/**
 * Many assume-role destinations sending at once through a client cache far smaller than their
 * number: clients are evicted while their sends are in flight. No send may be aborted by it
 * (an aborted send is retried, and may then arrive twice), and each destination's call reaches
 * AWS exactly once.
 */

const DESTINATIONS = 600;

let emulators: AwsEmulators;
let proxy: FaultProxy;
let direct: EmulatorClients;

beforeAll(async () => {
  emulators = await startAwsEmulators();
  proxy = await startFaultProxy({ target: emulators.sqsSnsEndpoint });
  direct = emulatorClients(emulators);
});

afterAll(async () => {
  direct?.destroy();
  await proxy?.stop();
  await emulators?.stop();
});

describe('the AWS client cache under more destinations than it holds', () => {
  it('never aborts a send in flight when it evicts its client: 600 destinations, one call each, all delivered once', async () => {
    // Far fewer clients than destinations; sockets enough for all 600 calls at once (a worker has
    // at most its drains' lanes in flight: 128 by default, within AWS_MAX_SOCKETS).
    const clients = createAwsClientCache({
      endpoints: { sqs: proxy.endpoint },
      maxClients: 100,
      timeouts: { maxSockets: DESTINATIONS },
    });
    const broker = createCredentialBroker({
      region: emulators.region,
      stsEndpoint: emulators.stsEndpoint,
      serviceCredentials: EMULATOR_CREDENTIALS,
    });
    const resolver = createDestinationResolver({
      endpoints: { sqs: proxy.endpoint },
      broker,
      clients,
      secrets: { open: () => '' },
    });
    try {
      const queueUrl = await createQueue(direct.sqs, uniqueName('many-roles'));
      const rows: StoredDestination[] = Array.from({ length: DESTINATIONS }, (_, index) => {
        const roleArn = `arn:aws:iam::000000000000:role/many-${index}`;
        const externalId = `ext-many-${index}`;
        emulators.fakeSts.allowRole(roleArn, externalId);
        return {
          id: `0190a000-0000-7000-8000-${String(index).padStart(12, '0')}`,
          tenantId: 'tenant-many',
          type: 'sqs',
          config: { queueUrl },
          transform: null,
          eventTypes: null,
          authMode: 'assume_role',
          roleArn,
          externalId,
          accessKeyId: null,
          secretAccessKey: null,
          updatedAt: new Date(0),
        };
      });
      // Sessions first, as a running worker has them: each send then goes out as soon as its client exists.
      const resolved = rows.map((row) => resolver.resolve(row));
      await Promise.all(resolved.map(({ send }) => send.credentials.provider()));
      // Every call is held a while at the proxy, so clients are evicted while their calls are in flight.
      proxy.inject({ action: 'SendMessageBatch', fault: { kind: 'delay', ms: 1_000 }, times: DESTINATIONS });

      const sends: Promise<DeliveryOutcome[]>[] = [];
      for (const [index, { destination, send }] of resolved.entries()) {
        const plan = destination.plan(destination.untransformed([{ deliveryId: `d${index}`, event: makeEvent() }]));
        sends.push(plan.calls[0]!.send(send).then((result) => result.outcomes));
        // Waves of 50: later waves create clients while earlier waves are still sending.
        if (index % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const outcomes = (await Promise.all(sends)).flat();

      const failed = outcomes.filter((outcome) => !outcome.ok);
      expect(failed).toEqual([]);
      expect(proxy.requests.filter((request) => request.action === 'SendMessageBatch')).toHaveLength(DESTINATIONS);
      const arrived = await receiveAll(direct.sqs, queueUrl);
      expect(arrived).toHaveLength(DESTINATIONS);
      expect(clients.size()).toBeLessThanOrEqual(100);
      // One session per role, kept while clients come and go: no AssumeRole storm.
      expect(emulators.fakeSts.assumeRoleCalls().filter((call) => call.outcome === 'issued')).toHaveLength(
        DESTINATIONS,
      );
    } finally {
      clients.destroy();
      broker.destroy();
    }
  });
});
