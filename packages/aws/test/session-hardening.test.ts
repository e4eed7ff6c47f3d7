import { FAKE_STS_ACCOUNT, type FakeSts, startFakeSts } from '@sluice/testing/fake-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AssumeRoleError } from '../src/assume-role.ts';
import { type CredentialBrokerOptions, createCredentialBroker } from '../src/credentials.ts';

/**
 * Confused-deputy hardening of role sessions: never a role in Sluice's own account, a session
 * narrowed to the destination and tagged with it, and the check for roles that accept any
 * ExternalId.
 */

const ROLE = 'arn:aws:iam::123456789012:role/SluiceWriter';
const EXTERNAL_ID = 'ext-hardening';
const SERVICE_CREDENTIALS = { accessKeyId: 'AKIASLUICE0000000000', secretAccessKey: 'service-secret' };
const QUEUE_ARN = 'arn:aws:sqs:eu-west-1:123456789012:orders';
const scope = {
  actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'],
  resource: QUEUE_ARN,
  service: 'sqs',
  region: 'eu-west-1',
};

let sts: FakeSts;
beforeAll(async () => {
  sts = await startFakeSts();
});
beforeEach(() => sts.reset());
afterAll(() => sts?.stop());

const broker = (options: Partial<CredentialBrokerOptions> = {}) =>
  createCredentialBroker({
    region: 'us-east-1',
    stsEndpoint: sts.endpoint,
    serviceCredentials: SERVICE_CREDENTIALS,
    ...options,
  });

describe('a role in Sluice’s own account', () => {
  it('is never assumed, whatever its trust policy says', async () => {
    const ownRole = `arn:aws:iam::${FAKE_STS_ACCOUNT}:role/SluiceInternal`;
    sts.allowRole(ownRole, EXTERNAL_ID);
    const credentials = broker().forDestination(
      { mode: 'assume_role', roleArn: ownRole, externalId: EXTERNAL_ID },
      { tenantId: 't1' },
    );
    const error = await credentials.provider().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AssumeRoleError);
    expect(error).toMatchObject({ code: 'RoleInServiceAccount', roleArn: ownRole });
    expect(String(error)).toContain("is in Sluice's own AWS account");
    expect(sts.assumeRoleCalls()).toEqual([]);
  });

  it('is refused (and retried later) while Sluice cannot learn its own account, and STS is not asked again at once', async () => {
    sts.allowRole(ROLE, EXTERNAL_ID);
    const blind = broker({ stsEndpoint: 'http://127.0.0.1:9' });
    const credentials = blind.forDestination(
      { mode: 'assume_role', roleArn: ROLE, externalId: EXTERNAL_ID },
      { tenantId: 't1' },
    );
    await expect(credentials.provider()).rejects.toMatchObject({ code: 'ServiceIdentityUnavailable' });
    const started = performance.now();
    await expect(blind.serviceIdentity()).rejects.toBeTruthy();
    // The failure is remembered: the second answer does not wait on a connection.
    expect(performance.now() - started).toBeLessThan(50);
    blind.destroy();
  });
});

describe('the session', () => {
  it('carries a policy allowing only the destination’s actions on its resource, and tags naming the tenant and destination', async () => {
    sts.allowRole(ROLE, EXTERNAL_ID);
    const credentials = broker().forDestination(
      { mode: 'assume_role', roleArn: ROLE, externalId: EXTERNAL_ID },
      { tenantId: 'tenant-1', destinationId: 'dest-1', scope },
    );
    await credentials.provider();
    const [call] = sts.assumeRoleCalls();
    expect(call?.tags).toEqual([
      { key: 'sluice:tenant', value: 'tenant-1' },
      { key: 'sluice:destination', value: 'dest-1' },
    ]);
    expect(JSON.parse(call?.policy ?? '{}')).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Destination', Effect: 'Allow', Action: scope.actions, Resource: QUEUE_ARN },
        {
          Sid: 'DestinationEncryption',
          Effect: 'Allow',
          Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
          Resource: '*',
          Condition: { StringEquals: { 'kms:ViaService': 'sqs.eu-west-1.amazonaws.com' } },
        },
      ],
    });
  });

  it('is one per destination even when destinations share a role and ExternalId', async () => {
    sts.allowRole(ROLE, EXTERNAL_ID);
    const b = broker();
    const auth = { mode: 'assume_role' as const, roleArn: ROLE, externalId: EXTERNAL_ID };
    const first = b.forDestination(auth, { tenantId: 't', destinationId: 'd1', scope });
    const second = b.forDestination(auth, {
      tenantId: 't',
      destinationId: 'd2',
      scope: { ...scope, resource: `${QUEUE_ARN}-2` },
    });
    expect(first.cacheKey).not.toBe(second.cacheKey);
    await Promise.all([first.provider(), second.provider(), first.provider()]);
    expect(sts.assumeRoleCalls().map((call) => JSON.parse(call.policy ?? '{}').Statement[0].Resource)).toEqual([
      QUEUE_ARN,
      `${QUEUE_ARN}-2`,
    ]);
  });

  it('goes untagged when the trust policy predates sts:TagSession, and remembers it at the next refresh', async () => {
    sts.allowRole(ROLE, EXTERNAL_ID, { tagSession: false });
    let offsetMs = 0;
    const credentials = broker({ now: () => Date.now() + offsetMs }).forDestination(
      { mode: 'assume_role', roleArn: ROLE, externalId: EXTERNAL_ID },
      { tenantId: 't', destinationId: 'd', scope },
    );
    await expect(credentials.provider()).resolves.toMatchObject({ accessKeyId: expect.stringMatching(/^ASIA/) });
    offsetMs = 11 * 60_000; // past the refresh margin of a 15-minute session
    await credentials.provider();
    expect(sts.assumeRoleCalls().map((call) => [call.tags.length > 0, call.outcome])).toEqual([
      [true, 'denied'],
      [false, 'issued'],
      [false, 'issued'],
    ]);
  });

  it('is denied once, not twice, when the role does not trust Sluice at all', async () => {
    const credentials = broker().forDestination(
      { mode: 'assume_role', roleArn: ROLE, externalId: EXTERNAL_ID },
      { tenantId: 't', destinationId: 'd', scope },
    );
    await expect(credentials.provider()).rejects.toMatchObject({ code: 'AccessDenied' });
    expect(sts.assumeRoleCalls()).toHaveLength(1);
  });
});

describe('checkExternalId', () => {
  it('finds a role that accepts any ExternalId, with a session that can do nothing', async () => {
    sts.allowRoleWithoutExternalId(ROLE);
    await expect(broker().checkExternalId(ROLE)).resolves.toBe('accepted');
    const [call] = sts.assumeRoleCalls();
    expect(call?.externalId).not.toBe(EXTERNAL_ID);
    expect(call?.externalId).toMatch(/^sluice-check-/);
    expect(JSON.parse(call?.policy ?? '{}').Statement).toEqual([{ Effect: 'Deny', Action: '*', Resource: '*' }]);
    expect(call?.tags).toEqual([]);
  });

  it('answers refused for a role with the condition, or one that does not exist yet, and unknown when STS fails', async () => {
    sts.allowRole(ROLE, EXTERNAL_ID);
    await expect(broker().checkExternalId(ROLE)).resolves.toBe('refused');
    await expect(broker().checkExternalId('arn:aws:iam::123456789012:role/NotYet')).resolves.toBe('refused');
    const unreachable = broker({ stsEndpoint: 'http://127.0.0.1:9' });
    await expect(unreachable.checkExternalId(ROLE)).resolves.toBe('unknown');
    unreachable.destroy();
  });
});
