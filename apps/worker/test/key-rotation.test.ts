import { randomBytes } from 'node:crypto';
import { createSecretBox, keyIdOf } from '@sluice/aws/secret-box';
import { createSealedSecrets } from '@sluice/db/repositories/sealed-secrets';
import { createLogger } from '@sluice/logger/logger';
import { type AwsEmulators, startAwsEmulators } from '@sluice/testing/aws-emulators';
import { startTestStack, type TestStack } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretResealer } from '../src/secret-resealer.ts';

/**
 * A key rotation that completes: after ENCRYPTION_KEY changes (the old key moved to
 * ENCRYPTION_KEYS_PREVIOUS), the worker re-seals every stored secret under the new key in
 * bounded batches, the operator can read when none needs the old key any more, and then the
 * old key can go.
 */

const OLD_KEY = randomBytes(32);
const NEW_KEY = randomBytes(32);
const b64 = (key: Buffer) => key.toString('base64');

let emulators: AwsEmulators;
const stacks: TestStack[] = [];
const stackWith = async (env: Record<string, string>) => {
  const stack = await startTestStack({ awsEnv: { ...emulators.env, ...env } });
  stacks.push(stack);
  return stack;
};

beforeAll(async () => {
  emulators = await startAwsEmulators();
});
afterAll(async () => {
  for (const stack of stacks) await stack.close();
  await emulators?.stop();
});

const keyedDestination = (index: number) => ({
  name: `keyed ${index}`,
  customerExternalId: `rotation-${process.pid}`,
  type: 'sqs',
  config: { queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/rotation' },
  auth: {
    mode: 'access_key',
    accessKeyId: `AKIAROTATION${String(index).padStart(8, '0')}`,
    secretAccessKey: `rotation-secret-${index}-x`,
  },
});

describe('re-sealing after a key rotation', () => {
  it('re-seals every secret under the current key in bounded passes, and reports when the old key is no longer needed', async () => {
    const before = await stackWith({ ENCRYPTION_KEY: b64(OLD_KEY) });
    const tenantId = (await before.createTenant('Rotation')).id;
    const { auth } = await before.createKey(tenantId, ['admin']);
    const ids: string[] = [];
    for (let index = 0; index < 7; index++) {
      const created = await before.app.inject({
        method: 'POST',
        url: '/v1/destinations',
        headers: auth,
        payload: keyedDestination(index),
      });
      expect(created.statusCode, created.body).toBe(201);
      ids.push(created.json().id);
    }

    const rotated = await stackWith({ ENCRYPTION_KEY: b64(NEW_KEY), ENCRYPTION_KEYS_PREVIOUS: b64(OLD_KEY) });
    const status = async () =>
      (await rotated.app.inject({ method: 'GET', url: '/v1/admin/encryption-keys', headers: rotated.operator })).json();
    const started = await status();
    expect(started).toMatchObject({
      currentKeyId: keyIdOf(NEW_KEY),
      previousKeyIds: [keyIdOf(OLD_KEY)],
      secrets: { underPreviousKeys: 7, byKeyId: expect.objectContaining({ [keyIdOf(OLD_KEY)]: 7 }) },
      rotationComplete: false,
    });
    // Tenants never see it: it is an operator route.
    expect(
      (await rotated.app.inject({ method: 'GET', url: '/v1/admin/encryption-keys', headers: auth })).statusCode,
    ).toBe(403);

    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      hooks: {
        streamWrite: (line) => {
          lines.push(line);
          return '';
        },
      },
    });
    const resealer = createSecretResealer({
      sealedSecrets: createSealedSecrets(rotated.database.executor),
      secrets: createSecretBox({ currentKey: NEW_KEY, previousKeys: [OLD_KEY] }),
      logger,
      options: { batchSize: 2, maxBatches: 2 },
    });
    const passes = [];
    for (let pass = 0; pass < 100 && (passes.at(-1)?.underPreviousKeys ?? 1) > 0; pass++)
      passes.push(await resealer.runOnce());
    // Bounded: no pass handled more than its two batches of two.
    expect(passes.length).toBeGreaterThan(1);
    expect(passes.every((pass) => pass.resealed <= 4)).toBe(true);
    expect(passes.reduce((sum, pass) => sum + pass.resealed, 0)).toBe(7);

    const done = await status();
    expect(done).toMatchObject({ secrets: { underPreviousKeys: 0 }, rotationComplete: true });
    expect(done.secrets.byKeyId[keyIdOf(NEW_KEY)]).toBe(7);
    expect(done.secrets.byKeyId[keyIdOf(OLD_KEY)]).toBeUndefined();
    expect(lines.filter((line) => line.includes('encryption key rotation complete'))).toHaveLength(1);

    // The old key can go: a Sluice with the new key alone opens every secret.
    const after = await stackWith({ ENCRYPTION_KEY: b64(NEW_KEY) });
    for (const id of ids) {
      const tested = await after.app.inject({ method: 'POST', url: `/v1/destinations/${id}/test`, headers: auth });
      expect(tested.statusCode, tested.body).toBe(200);
      expect(tested.json().checks[0]).toMatchObject({ name: 'credentials', ok: true });
    }
  });

  it('leaves a secret alone that a PATCH replaced meanwhile', async () => {
    const stack = await stackWith({ ENCRYPTION_KEY: b64(NEW_KEY), ENCRYPTION_KEYS_PREVIOUS: b64(OLD_KEY) });
    const tenantId = (await stack.createTenant('Race')).id;
    const { auth } = await stack.createKey(tenantId, ['admin']);
    const { id } = (
      await stack.app.inject({ method: 'POST', url: '/v1/destinations', headers: auth, payload: keyedDestination(99) })
    ).json();
    const sealedSecrets = createSealedSecrets(stack.database.executor);
    const read = async () =>
      (await stack.database.pool.query('select secret_access_key from destinations where id = $1', [id])).rows[0]
        .secret_access_key;
    const stale = await read();
    await stack.app.inject({
      method: 'PATCH',
      url: `/v1/destinations/${id}`,
      headers: auth,
      payload: {
        auth: { mode: 'access_key', accessKeyId: 'AKIAROTATIONPATCHED0', secretAccessKey: 'the-new-secret-value' },
      },
    });
    const box = createSecretBox({ currentKey: NEW_KEY, previousKeys: [OLD_KEY] });
    expect(await sealedSecrets.replace(id, stale, box.seal('rotation-secret-99-x'))).toBe(false);
    expect(box.open(await read())).toBe('the-new-secret-value');
  });
});
