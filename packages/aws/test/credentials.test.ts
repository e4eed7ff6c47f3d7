import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { FAKE_STS_ACCOUNT, FAKE_STS_CALLER_ARN, type FakeSts, startFakeSts } from '@sluice/testing/fake-sts';
import { type FaultProxy, startFaultProxy } from '@sluice/testing/fault-proxy';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AssumeRoleError } from '../src/assume-role.ts';
import { createAwsClientCache } from '../src/clients.ts';
import { type CredentialBrokerOptions, createCredentialBroker, roleSessionName } from '../src/credentials.ts';

const ROLE = 'arn:aws:iam::123456789012:role/SluiceWriter';
const EXTERNAL_ID = 'ext-8d2f';
const SERVICE_CREDENTIALS = { accessKeyId: 'AKIASLUICE0000000000', secretAccessKey: 'service-secret' };

let sts: FakeSts;
let proxy: FaultProxy;

beforeAll(async () => {
  sts = await startFakeSts();
  proxy = await startFaultProxy({ target: sts.endpoint });
});

beforeEach(() => {
  sts.reset();
  proxy.clear();
});

afterAll(async () => {
  await proxy?.stop();
  await sts?.stop();
});

function broker(options: Partial<CredentialBrokerOptions> = {}) {
  return createCredentialBroker({
    region: 'us-east-1',
    stsEndpoint: sts.endpoint,
    serviceCredentials: SERVICE_CREDENTIALS,
    ...options,
  });
}

describe('assume_role', () => {
  it('assumes the role with the ExternalId, a tenant session name and 900 s, once for many uses', async () => {
    sts.allowRole(ROLE, EXTERNAL_ID);
    const credentials = broker().forDestination(
      { mode: 'assume_role', roleArn: ROLE, externalId: EXTERNAL_ID },
      { tenantId: 'tenant 42/acme' },
    );
    const first = await credentials.provider();
    const again = await Promise.all(Array.from({ length: 20 }, () => credentials.provider()));
    expect(again.every((value) => value.accessKeyId === first.accessKeyId)).toBe(true);
    expect(first.sessionToken).toBeTruthy();
    expect(sts.assumeRoleCalls()).toEqual([
      {
        action: 'AssumeRole',
        roleArn: ROLE,
        externalId: EXTERNAL_ID,
        sessionName: 'sluice-tenant-42-acme',
        durationSeconds: 900,
        policy: undefined,
        tags: [{ key: 'sluice:tenant', value: 'tenant 42/acme' }],
        sourceIdentity: undefined,
        outcome: 'issued',
      },
    ]);
  });

  it('shares one session between every client of the role, whatever the service or region', async () => {
    sts.allowRole(ROLE, EXTERNAL_ID);
    const creds = broker().forDestination(
      { mode: 'assume_role', roleArn: ROLE, externalId: EXTERNAL_ID },
      { tenantId: 't1' },
    );
    const clients = createAwsClientCache({ endpoints: { sqs: sts.endpoint } });
    try {
      for (const region of ['us-east-1', 'eu-west-1']) {
        const client = clients.sqs({ region, credentials: creds });
        await client.config.credentials();
      }
      expect(sts.assumeRoleCalls()).toHaveLength(1);
    } finally {
      clients.destroy();
    }
  });

  it('refreshes before expiry', async () => {
    sts.allowRole(ROLE, EXTERNAL_ID);
    let offsetMs = 0;
    const credentials = broker({ now: () => Date.now() + offsetMs }).forDestination(
      { mode: 'assume_role', roleArn: ROLE, externalId: EXTERNAL_ID },
      { tenantId: 't1' },
    );
    const first = await credentials.provider();
    offsetMs = 9 * 60_000; // 15-minute session, 5-minute margin: still good at 9 minutes
    expect((await credentials.provider()).accessKeyId).toBe(first.accessKeyId);
    offsetMs = 11 * 60_000;
    expect((await credentials.provider()).accessKeyId).not.toBe(first.accessKeyId);
    expect(sts.assumeRoleCalls()).toHaveLength(2);
  });

  it('refreshes short sessions at half their life', async () => {
    sts.allowRole(ROLE, EXTERNAL_ID);
    sts.setCredentialLifetime(60);
    let offsetMs = 0;
    const credentials = broker({ now: () => Date.now() + offsetMs }).forDestination(
      { mode: 'assume_role', roleArn: ROLE, externalId: EXTERNAL_ID },
      { tenantId: 't1' },
    );
    await credentials.provider();
    offsetMs = 20_000;
    await credentials.provider();
    expect(sts.assumeRoleCalls()).toHaveLength(1);
    offsetMs = 31_000;
    await credentials.provider();
    expect(sts.assumeRoleCalls()).toHaveLength(2);
  });

  it('answers AccessDenied for a wrong ExternalId, drops the entry, and works once the trust policy is fixed', async () => {
    sts.allowRole(ROLE, 'the-right-one');
    const b = broker();
    const credentials = b.forDestination(
      { mode: 'assume_role', roleArn: ROLE, externalId: EXTERNAL_ID },
      { tenantId: 't1' },
    );
    const error = await credentials.provider().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AssumeRoleError);
    expect(error).toMatchObject({ code: 'AccessDenied', status: 403, roleArn: ROLE });
    expect(String(error)).toContain(
      `The role's trust policy must allow principal ${FAKE_STS_CALLER_ARN} to call sts:AssumeRole and sts:TagSession with the condition StringEquals sts:ExternalId = ${EXTERNAL_ID}`,
    );
    expect(b.cachedRoleCount()).toBe(0);

    sts.allowRole(ROLE, EXTERNAL_ID);
    await expect(credentials.provider()).resolves.toMatchObject({ accessKeyId: expect.stringMatching(/^ASIA/) });
    expect(sts.assumeRoleCalls().map((call) => call.outcome)).toEqual(['denied', 'issued']);
  });

  it('refuses a missing ExternalId like AWS does', async () => {
    sts.allowRole(ROLE, EXTERNAL_ID);
    const credentials = broker().forDestination(
      { mode: 'assume_role', roleArn: ROLE, externalId: '' },
      { tenantId: 't1' },
    );
    await expect(credentials.provider()).rejects.toMatchObject({ code: 'AccessDenied' });
  });

  it('keeps a still-valid session when a refresh is throttled, and fails when none is left', async () => {
    sts.allowRole(ROLE, EXTERNAL_ID);
    let offsetMs = 0;
    const credentials = broker({ stsEndpoint: proxy.endpoint, now: () => Date.now() + offsetMs }).forDestination(
      { mode: 'assume_role', roleArn: ROLE, externalId: EXTERNAL_ID },
      { tenantId: 't1' },
    );
    const first = await credentials.provider();
    offsetMs = 11 * 60_000;
    proxy.inject({ action: 'AssumeRole', fault: { kind: 'error', status: 400, code: 'Throttling' }, times: 2 });
    expect((await credentials.provider()).accessKeyId).toBe(first.accessKeyId);

    offsetMs = 15 * 60_000;
    await expect(credentials.provider()).rejects.toMatchObject({ name: 'AssumeRoleError', code: 'Throttling' });
    expect(proxy.requests.filter((request) => request.fault === 'error')).toHaveLength(2);
  });

  it('reports who a destination acts as, and the service identity', async () => {
    sts.allowRole(ROLE, EXTERNAL_ID);
    const b = broker();
    const credentials = b.forDestination(
      { mode: 'assume_role', roleArn: ROLE, externalId: EXTERNAL_ID },
      { tenantId: 't1' },
    );
    await expect(b.identityOf(credentials)).resolves.toMatchObject({
      account: '123456789012',
      arn: 'arn:aws:sts::123456789012:assumed-role/SluiceWriter/sluice-t1',
    });
    await expect(b.serviceIdentity()).resolves.toEqual({
      account: FAKE_STS_ACCOUNT,
      arn: FAKE_STS_CALLER_ARN,
      userId: expect.any(String),
    });
  });
});

describe('access_key', () => {
  it('uses the pair as is, with a cache key that holds no secret', async () => {
    const credentials = broker().forDestination(
      { mode: 'access_key', accessKeyId: 'AKIACUSTOMER00000001', secretAccessKey: 'customer-secret' },
      { tenantId: 't1' },
    );
    await expect(credentials.provider()).resolves.toEqual({
      accessKeyId: 'AKIACUSTOMER00000001',
      secretAccessKey: 'customer-secret',
    });
    expect(credentials.cacheKey).toContain('AKIACUSTOMER00000001');
    expect(credentials.cacheKey).not.toContain('customer-secret');
    expect(credentials.principal).toBe('AKIACUSTOMER00000001');
    expect(sts.calls).toHaveLength(0);
  });
});

describe('roleSessionName', () => {
  it('keeps STS characters and 64 characters at most', () => {
    expect(roleSessionName('acme_01J9')).toBe('sluice-acme_01J9');
    expect(roleSessionName('a b:c/d')).toBe('sluice-a-b-c-d');
    expect(roleSessionName('x'.repeat(100))).toHaveLength(64);
  });
});

describe('the SDK against the fault proxy', () => {
  it('parses injected errors like AWS ones', async () => {
    const client = new SQSClient({
      region: 'us-east-1',
      endpoint: proxy.endpoint,
      credentials: SERVICE_CREDENTIALS,
      maxAttempts: 1,
    });
    proxy.inject({ action: 'ListQueues', fault: { kind: 'error', status: 503, code: 'ServiceUnavailable' } });
    await expect(client.send(new ListQueuesCommand({}))).rejects.toMatchObject({
      name: 'ServiceUnavailable',
      $metadata: { httpStatusCode: 503 },
    });
    client.destroy();
  });
});
