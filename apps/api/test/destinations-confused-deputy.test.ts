import { FAKE_STS_ACCOUNT } from '@sluice/testing/fake-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AWS_QUEUE_URL,
  type DestinationsHarness,
  destinationInput,
  startDestinationsHarness,
} from './destinations-support.ts';

/**
 * A tenant must not be able to make Sluice act as someone else: not as a role in Sluice's own
 * account, not as a customer's role that forgot its sts:ExternalId condition (any tenant could
 * name it), and not against a host other than AWS or the deployment's own endpoint override.
 */

let h: DestinationsHarness;
beforeAll(async () => {
  h = await startDestinationsHarness();
});
afterAll(() => h.close());

let counter = 0;
const openRole = () => `arn:aws:iam::000000000000:role/open-${process.pid}-${++counter}`;

describe("a role in Sluice's own account", () => {
  const ownRole = `arn:aws:iam::${FAKE_STS_ACCOUNT}:role/SluiceDeliveryWorker`;

  it('is refused at create and at PATCH of auth, naming the field', async () => {
    const created = await h.call(
      'POST',
      '/v1/destinations',
      destinationInput({ auth: { mode: 'assume_role', roleArn: ownRole } }),
    );
    expect(created.statusCode).toBe(400);
    expect(created.json().errors).toEqual([
      { path: 'auth.roleArn', message: expect.stringContaining("is in Sluice's own AWS account") },
    ]);

    const existing = await h.create();
    const patched = await h.call('PATCH', `/v1/destinations/${existing.id}`, {
      auth: { mode: 'assume_role', roleArn: ownRole },
    });
    expect(patched.statusCode).toBe(400);
    expect(patched.json().errors).toEqual([{ path: 'auth.roleArn', message: expect.any(String) }]);
    expect((await h.call('GET', `/v1/destinations/${existing.id}`)).json()).toEqual(existing);
    expect(h.emulators.fakeSts.assumeRoleCalls(ownRole)).toEqual([]);
  });
});

describe('a role whose trust policy has no ExternalId condition', () => {
  it('is found at create: the destination says its deliveries are held, and how to fix the policy', async () => {
    const roleArn = openRole();
    h.emulators.fakeSts.allowRoleWithoutExternalId(roleArn);
    const created = await h.create({ auth: { mode: 'assume_role', roleArn } });
    const { externalId, trustPolicyProblem } = created.auth as { externalId: string; trustPolicyProblem: unknown };
    expect(trustPolicyProblem).toEqual({
      code: 'trust_policy_without_external_id',
      message: expect.stringContaining(`Add the condition StringEquals sts:ExternalId = ${externalId}`),
      since: expect.any(String),
    });
    // Found with a random ExternalId and a session that can do nothing.
    const [check] = h.emulators.fakeSts.assumeRoleCalls(roleArn).filter((call) => call.externalId !== externalId);
    expect(check).toMatchObject({ outcome: 'issued', sessionName: 'sluice-external-id-check' });
    expect(JSON.parse(check?.policy ?? '{}').Statement[0]).toEqual({ Effect: 'Deny', Action: '*', Resource: '*' });
  });

  it('fails the test endpoint with trust_policy_without_external_id until fixed, then passes and is released', async () => {
    const roleArn = openRole();
    const created = await h.create({ auth: { mode: 'assume_role', roleArn } });
    const { externalId } = created.auth as { externalId: string };
    expect(created.auth).toMatchObject({ trustPolicyProblem: null }); // not trusted at all yet
    // The customer trusts Sluice, but forgets the condition.
    h.emulators.fakeSts.allowRoleWithoutExternalId(roleArn);
    const tested = (await h.call('POST', `/v1/destinations/${created.id}/test`)).json();
    expect(tested.ok).toBe(false);
    expect(tested.error).toEqual({
      code: 'trust_policy_without_external_id',
      message: expect.stringContaining(`Add the condition StringEquals sts:ExternalId = ${externalId}`),
    });
    expect(tested.checks[1]).toMatchObject({ name: 'trust_policy', ok: false });
    const held = (await h.call('GET', `/v1/destinations/${created.id}`)).json();
    expect(held.auth.trustPolicyProblem).toMatchObject({ code: 'trust_policy_without_external_id' });

    // The same role given again is checked again: still open.
    const repatched = await h.call('PATCH', `/v1/destinations/${created.id}`, {
      auth: { mode: 'assume_role', roleArn },
    });
    expect(repatched.json().auth.trustPolicyProblem).toMatchObject({ code: 'trust_policy_without_external_id' });

    h.emulators.fakeSts.allowRole(roleArn, externalId);
    const fixed = (await h.call('POST', `/v1/destinations/${created.id}/test`)).json();
    expect(fixed.checks[1]).toMatchObject({ name: 'trust_policy', ok: true });
    expect((await h.call('GET', `/v1/destinations/${created.id}`)).json().auth.trustPolicyProblem).toBeNull();
  });
});

describe('queue URLs under an endpoint override', () => {
  it('may name AWS or the override’s host, nothing else, and the answer does not reveal the override', async () => {
    const override = new URL(h.emulators.sqsSnsEndpoint);
    expect(
      (await h.call('POST', '/v1/destinations', destinationInput({ config: { queueUrl: AWS_QUEUE_URL } }))).statusCode,
    ).toBe(201);
    const onOverride = `http://sqs.us-east-1.localhost:${override.port}/000000000000/orders`;
    expect(
      (await h.call('POST', '/v1/destinations', destinationInput({ config: { queueUrl: onOverride } }))).statusCode,
    ).toBe(201);
    for (const queueUrl of [
      'http://attacker.example.com/000000000000/orders',
      'http://169.254.169.254/000000000000/orders',
    ]) {
      const refused = await h.call(
        'POST',
        '/v1/destinations',
        destinationInput({ config: { queueUrl, region: 'us-east-1' } }),
      );
      expect(refused.statusCode, queueUrl).toBe(400);
      expect(refused.json().errors).toEqual([
        { path: 'config.queueUrl', message: expect.stringContaining("this deployment's SQS endpoint") },
      ]);
      expect(refused.body).not.toContain(override.host);
    }
  });
});
