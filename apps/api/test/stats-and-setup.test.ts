import { LATENCY_BUCKET_BOUNDS_MS } from '@sluice/db/schema/stats';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { FAKE_STS_CALLER_ARN } from '@sluice/testing/fake-sts';
import { waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { latencyPercentile } from '../src/services/stats-service.ts';

let fixture: DeliveryFixture;

beforeAll(async () => {
  fixture = await startDeliveryFixture();
});
afterAll(() => fixture.close());

const get = async (url: string, headers = fixture.auth) => {
  const response = await fixture.stack.app.inject({ method: 'GET', url, headers });
  return { status: response.statusCode, body: response.json() };
};

describe('GET /v1/stats', () => {
  it('counts delivered and dead per minute from the rollup, with latency, and the backlog now', async () => {
    const destination = await fixture.sqsDestination('stats');
    const other = await fixture.sqsDestination('stats-other');
    for (let i = 0; i < 5; i++) await destination.post();
    await other.post();
    const total = async (destinationId: string) => {
      const { body } = await get(`/v1/stats?destinationId=${destinationId}`);
      return body.series.reduce((sum: number, point: { delivered: number }) => sum + point.delivered, 0);
    };
    await waitFor(async () => (await total(destination.id)) === 5);

    // The dead: the customer's trust policy no longer lets Sluice in.
    const row = await fixture.stack.database.pool.query('select role_arn from destinations where id = $1', [
      destination.id,
    ]);
    fixture.emulators.fakeSts.revokeRole(row.rows[0].role_arn);
    await fixture.stack.database.pool.query(
      "update destinations set role_arn = role_arn || '-gone', updated_at = now() where id = $1",
      [destination.id],
    );
    await destination.post();
    const stats = await waitFor(async () => {
      const { body } = await get(`/v1/stats?destinationId=${destination.id}`);
      return body.dlqOpen === 1 ? body : undefined;
    });
    const sum = (field: string) =>
      stats.series.reduce((s: number, p: Record<string, number>) => s + (p[field] ?? 0), 0);
    expect(sum('delivered')).toBe(5);
    expect(sum('dead')).toBe(1);
    expect(stats.series).toHaveLength(60);
    const busy = stats.series.find((point: { delivered: number }) => point.delivered > 0);
    expect(busy.latencyP50Ms).toBeGreaterThan(0);
    expect(busy.latencyP99Ms).toBeGreaterThanOrEqual(busy.latencyP50Ms);
    expect(stats.pending).toBe(0);

    // Tenant-wide numbers add the other destination's delivery.
    const all = await get('/v1/stats');
    expect(all.body.series.reduce((s: number, p: { delivered: number }) => s + p.delivered, 0)).toBeGreaterThanOrEqual(
      6,
    );

    // A portal token of the other customer sees none of it, even when it names this destination.
    const portal = await fixture.stack.app.inject({
      method: 'POST',
      url: '/v1/portal/sessions',
      headers: fixture.auth,
      payload: { customerExternalId: other.customerExternalId },
    });
    const scoped = await get(`/v1/stats?destinationId=${destination.id}`, {
      authorization: `Bearer ${portal.json().token}`,
    });
    expect(
      scoped.body.series.every((p: { delivered: number; dead: number }) => p.delivered === 0 && p.dead === 0),
    ).toBe(true);
    expect(scoped.body.dlqOpen).toBe(0);
    // Nor when it names the other customer outright.
    const named = await get(`/v1/stats?customerExternalId=${destination.customerExternalId}`, {
      authorization: `Bearer ${portal.json().token}`,
    });
    expect(named.status).toBe(200);
    expect(named.body.series.every((p: { delivered: number }) => p.delivered === 0)).toBe(true);
  });

  it('refuses a range backwards or too long, naming the field', async () => {
    const backwards = await get('/v1/stats?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z');
    expect(backwards.status).toBe(400);
    expect(backwards.body.errors[0].path).toBe('query.from');
    const tooLong = await get('/v1/stats?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&interval=minute');
    expect(tooLong.status).toBe(400);
    expect((await get('/v1/stats?interval=day')).status).toBe(400);
  });

  it('reads percentiles from the histogram', () => {
    const counts = new Array(LATENCY_BUCKET_BOUNDS_MS.length + 1).fill(0);
    expect(latencyPercentile(counts, 0.5)).toBeNull();
    counts[2] = 100; // 25..50 ms
    expect(latencyPercentile(counts, 0.5)).toBe(38);
    counts[counts.length - 1] = 2; // beyond the last bound
    expect(latencyPercentile(counts, 0.99)).toBe(LATENCY_BUCKET_BOUNDS_MS.at(-1));
  });
});

describe('GET /v1/destinations/{id}/setup', () => {
  it("pins the trust policy to Sluice's principal and the ExternalId; the template creates that role", async () => {
    const destination = await fixture.sqsDestination('setup');
    const view = await get(`/v1/destinations/${destination.id}`);
    const { status, body } = await get(`/v1/destinations/${destination.id}/setup`);
    expect(status).toBe(200);
    const externalId = view.body.auth.externalId;
    expect(body.principal).toBe(FAKE_STS_CALLER_ARN);
    expect(body.trustPolicy.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { AWS: FAKE_STS_CALLER_ARN },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: { StringEquals: { 'sts:ExternalId': externalId } },
      },
    ]);
    expect(body.permissionsPolicy.Statement[0]).toMatchObject({
      Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes'],
      Resource: expect.stringMatching(/^arn:aws:sqs:us-east-1:\d{12}:setup-/),
    });
    const template = parse(body.cloudFormationTemplate);
    const role = template.Resources.SluiceDeliveryRole;
    expect(role.Type).toBe('AWS::IAM::Role');
    expect(role.Properties.RoleName).toBe(view.body.auth.roleArn.split('/').pop());
    expect(role.Properties.AssumeRolePolicyDocument).toEqual(body.trustPolicy);
    expect(role.Properties.Policies[0].PolicyDocument).toEqual(body.permissionsPolicy);
    expect(template.Outputs.RoleArn.Value).toEqual({ 'Fn::GetAtt': ['SluiceDeliveryRole', 'Arn'] });
  });

  it('answers 404 for an unknown destination', async () => {
    expect((await get('/v1/destinations/019a5c1e-7b2f-7c3e-9d41-1f2e3a4b5c6d/setup')).status).toBe(404);
    expect((await get('/v1/destinations/not-an-id/setup')).status).toBe(404);
  });
});
