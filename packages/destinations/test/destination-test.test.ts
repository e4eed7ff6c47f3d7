import type { DestinationCredentials } from '@sluice/aws/credentials';
import { createQueue, createStream, receiveAll } from '@sluice/testing/aws-test-resources';
import { FAKE_STS_CALLER_ARN } from '@sluice/testing/fake-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfiguredDestination } from '../src/bound-destination.ts';
import { TEST_EVENT_TYPE, testDestination } from '../src/destination-test.ts';
import { type Harness, ROLE_ARN, startHarness, TENANT_ID, uniqueName } from './harness.ts';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});

afterAll(async () => {
  await harness?.stop();
});

function run(destination: ConfiguredDestination, credentials: DestinationCredentials = harness.credentials) {
  return testDestination({
    destination,
    credentials,
    clients: harness.clients,
    broker: harness.broker,
    tenantId: TENANT_ID,
    destinationId: 'dst_01',
    customerExternalId: 'acct_8K2zRq',
  });
}

describe('testDestination', () => {
  it('assumes the role, reads the attributes and sends a sluice.test message that arrives', async () => {
    const queueUrl = await createQueue(harness.direct.sqs, `${uniqueName('test-endpoint')}.fifo`, {
      MaximumMessageSize: '65536',
    });
    const result = await run(harness.configure('sqs', { queueUrl }));

    expect(result).toMatchObject({ ok: true, providerMessageId: expect.any(String), maxMessageBytes: 65_536 });
    expect(result.error).toBeUndefined();
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(result.checks.map((check) => [check.name, check.ok])).toEqual([
      ['credentials', true],
      ['trust_policy', true],
      ['attributes', true],
      ['send', true],
    ]);
    expect(result.checks[0]?.detail).toContain(`assumed-role/SluiceWriter/sluice-${TENANT_ID}`);
    expect(result.checks[1]?.detail).toBe("The role refuses any ExternalId but this destination's.");
    expect(result.checks[2]?.detail).toBe('FIFO queue; MaximumMessageSize 65536 bytes');
    expect(result.wrongExternalId).toBe('refused');

    const [arrived] = await receiveAll(harness.direct.sqs, queueUrl);
    expect(arrived?.MessageAttributes?.eventType?.StringValue).toBe(TEST_EVENT_TYPE);
    expect(JSON.parse(arrived?.Body ?? '{}')).toMatchObject({
      eventType: TEST_EVENT_TYPE,
      customerExternalId: 'acct_8K2zRq',
      payload: { destinationId: 'dst_01' },
    });
  });

  it('works for a stream too', async () => {
    const streamArn = await createStream(harness.direct.kinesis, uniqueName('test-endpoint'));
    const result = await run(harness.configure('kinesis', { streamArn }));
    expect(result.ok).toBe(true);
    expect(result.providerMessageId).toMatch(/^shardId-\d+:\d+$/);
  });

  it('explains a trust policy that does not allow Sluice, and skips the rest', async () => {
    const queueUrl = await createQueue(harness.direct.sqs, uniqueName('test-endpoint'));
    const credentials = harness.broker.forDestination(
      { mode: 'assume_role', roleArn: ROLE_ARN, externalId: 'ext-not-in-the-policy' },
      { tenantId: TENANT_ID },
    );
    const result = await run(harness.configure('sqs', { queueUrl }), credentials);
    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe('AccessDenied');
    expect(result.checks[0]).toMatchObject({ name: 'credentials', ok: false });
    expect(result.checks[0]?.detail).toContain(
      `The role's trust policy must allow principal ${FAKE_STS_CALLER_ARN} to call sts:AssumeRole and sts:TagSession with the condition StringEquals sts:ExternalId = ext-not-in-the-policy`,
    );
    expect(result.checks.slice(1).map((check) => [check.name, check.ok, check.detail])).toEqual([
      ['attributes', false, 'Skipped: the credentials check failed.'],
      ['send', false, 'Skipped: the credentials check failed.'],
    ]);
  });

  it('reports a missing queue in the attributes and send checks', async () => {
    const queueUrl = `http://sqs.us-east-1.localhost:1/000000000000/${uniqueName('missing')}`;
    const result = await run(harness.configure('sqs', { queueUrl }));
    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe('QueueDoesNotExist');
    expect(result.checks.map((check) => [check.name, check.ok])).toEqual([
      ['credentials', true],
      ['trust_policy', true],
      ['attributes', false],
      ['send', false],
    ]);
    expect(result.checks[2]?.detail).toContain('does not exist');
  });

  it('fails the trust_policy check of a role that accepts any ExternalId, saying how to fix it', async () => {
    const roleArn = 'arn:aws:iam::123456789012:role/OpenToAnyone';
    harness.emulators.fakeSts.allowRoleWithoutExternalId(roleArn);
    const queueUrl = await createQueue(harness.direct.sqs, uniqueName('test-endpoint'));
    const credentials = harness.broker.forDestination(
      { mode: 'assume_role', roleArn, externalId: 'ext-of-this-destination' },
      { tenantId: TENANT_ID },
    );
    const result = await run(harness.configure('sqs', { queueUrl }), credentials);
    expect(result.ok).toBe(false);
    expect(result.wrongExternalId).toBe('accepted');
    expect(result.error).toEqual({ code: 'trust_policy_without_external_id', message: expect.any(String) });
    expect(result.checks[1]).toEqual({
      name: 'trust_policy',
      ok: false,
      detail: expect.stringContaining(
        `The role ${roleArn} accepts an ExternalId other than this destination's, so any Sluice tenant could have Sluice act as it`,
      ),
    });
    expect(result.checks[1]?.detail).toContain(
      'Add the condition StringEquals sts:ExternalId = ext-of-this-destination',
    );
  });

  it('checks access keys with GetCallerIdentity', async () => {
    const queueUrl = await createQueue(harness.direct.sqs, uniqueName('test-endpoint'));
    const destination = harness.configure('sqs', { queueUrl });
    const good = harness.broker.forDestination(
      { mode: 'access_key', accessKeyId: 'AKIAGOODKEY000000001', secretAccessKey: 'secret-1' },
      { tenantId: TENANT_ID },
    );
    const okResult = await run(destination, good);
    expect(okResult.ok).toBe(true);
    expect(okResult.checks[0]?.detail).toBe(`The access key AKIAGOODKEY000000001 belongs to ${FAKE_STS_CALLER_ARN}.`);

    harness.emulators.fakeSts.denyAccessKey('AKIABADKEY0000000001');
    const bad = harness.broker.forDestination(
      { mode: 'access_key', accessKeyId: 'AKIABADKEY0000000001', secretAccessKey: 'secret-2' },
      { tenantId: TENANT_ID },
    );
    const badResult = await run(destination, bad);
    expect(badResult.ok).toBe(false);
    expect(badResult.error?.code).toBe('InvalidClientTokenId');
    expect(badResult.checks[0]?.detail).toContain(
      'AWS does not accept the credentials of the role or key AKIABADKEY0000000001',
    );
    expect(JSON.stringify(badResult)).not.toContain('secret-2');
  });
});
