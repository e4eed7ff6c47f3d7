import { randomBytes } from 'node:crypto';
import { createSecretBox, keyIdOf } from '@sluice/aws/secret-box';
import { createQueue, receiveAll } from '@sluice/testing/aws-test-resources';
import { FAKE_STS_CALLER_ARN } from '@sluice/testing/fake-sts';
import { sampleEvent, waitFor } from '@sluice/testing/stack';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUSTOMER, type DestinationsHarness, startDestinationsHarness } from './destinations-support.ts';

/**
 * access_key destinations: the secret is sealed with AES-256-GCM under ENCRYPTION_KEY (its key
 * id beside the ciphertext), and never leaves: not in an answer, a log line (captured at trace
 * level, API and workers), the database in clear, or a job payload.
 */

const encryptionKey = randomBytes(32);
const SECRET = `Sluice/${randomBytes(18).toString('base64url')}+Zq9w`;
const NEW_SECRET = `Rotated/${randomBytes(18).toString('base64url')}+Kx7v`;
const ACCESS_KEY_ID = 'AKIASLUICETEST00001';
const logLines: string[] = [];
const answers: LightMyRequestResponse[] = [];

let h: DestinationsHarness;
let queueUrl: string;
let destinationId: string;
beforeAll(async () => {
  h = await startDestinationsHarness({
    workers: true,
    logStream: { write: (line) => void logLines.push(line) },
    awsEnv: (emulators) => ({ ...emulators.env, ENCRYPTION_KEY: encryptionKey.toString('base64') }),
  });
  queueUrl = await createQueue(h.aws.sqs, `secrets-${process.pid}`);
});
afterAll(() => h.close());

/** Every answer of this file is kept, to be searched for the secrets at the end. */
async function call(...args: Parameters<DestinationsHarness['call']>) {
  const response = await h.call(...args);
  answers.push(response);
  return response;
}

const accessKeyAuth = (secretAccessKey: string) => ({
  mode: 'access_key',
  accessKeyId: ACCESS_KEY_ID,
  secretAccessKey,
});

describe('an access_key destination', () => {
  it('answers secretAccessKey null and the last 4 characters as secretHint, everywhere', async () => {
    const created = await call('POST', '/v1/destinations', {
      name: 'Keyed',
      customerExternalId: CUSTOMER,
      type: 'sqs',
      config: { queueUrl },
      auth: accessKeyAuth(SECRET),
    });
    expect(created.statusCode).toBe(201);
    destinationId = created.json().id;
    const expected = { mode: 'access_key', accessKeyId: ACCESS_KEY_ID, secretAccessKey: null, secretHint: 'Zq9w' };
    expect(created.json().auth).toEqual(expected);
    expect((await call('GET', `/v1/destinations/${destinationId}`)).json().auth).toEqual(expected);
    const listed = (await call('GET', `/v1/destinations?customerExternalId=${CUSTOMER}`)).json();
    expect(listed.data.find((d: { id: string }) => d.id === destinationId).auth).toEqual(expected);
    for (const action of ['pause', 'resume']) {
      expect((await call('POST', `/v1/destinations/${destinationId}/${action}`)).json().auth).toEqual(expected);
    }
  });

  it('stores the secret sealed under ENCRYPTION_KEY, with the key id beside the ciphertext', async () => {
    const { rows } = await h.stack.database.pool.query(
      'select secret_access_key, secret_hint, row_to_json(d)::text as whole from destinations d where id = $1',
      [destinationId],
    );
    const sealed = rows[0].secret_access_key;
    expect(sealed).toEqual({
      keyId: keyIdOf(encryptionKey),
      iv: expect.any(String),
      ciphertext: expect.any(String),
      tag: expect.any(String),
    });
    expect(Buffer.from(sealed.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(sealed.tag, 'base64')).toHaveLength(16);
    expect(rows[0].whole).not.toContain(SECRET);
    expect(createSecretBox({ currentKey: encryptionKey }).open(sealed)).toBe(SECRET);
    // Authenticated encryption: another key cannot open it, and a changed ciphertext is refused.
    expect(() => createSecretBox({ currentKey: randomBytes(32) }).open(sealed)).toThrow(
      /not among the configured keys/,
    );
    const tampered = { ...sealed, ciphertext: Buffer.from('x'.repeat(SECRET.length)).toString('base64') };
    expect(() => createSecretBox({ currentKey: encryptionKey }).open(tampered)).toThrow(/failed authentication/);
  });

  it('tests and delivers with the decrypted pair', async () => {
    const tested = await call('POST', `/v1/destinations/${destinationId}/test`);
    expect(tested.json()).toMatchObject({ ok: true });
    expect(tested.json().checks[0].detail).toBe(`The access key ${ACCESS_KEY_ID} belongs to ${FAKE_STS_CALLER_ARN}.`);
    const posted = await call('POST', '/v1/events', sampleEvent({ customerExternalId: CUSTOMER }));
    expect(posted.statusCode).toBe(202);
    const messages = await waitFor(async () => {
      const received = await receiveAll(h.aws.sqs, queueUrl);
      return received.some((m) => JSON.parse(m.Body!).id === posted.json().id) ? received : undefined;
    });
    expect(messages.length).toBeGreaterThan(0);
  });

  it('names the key, not the secret, when AWS refuses it', async () => {
    h.emulators.fakeSts.denyAccessKey(ACCESS_KEY_ID);
    const tested = (await call('POST', `/v1/destinations/${destinationId}/test`)).json();
    expect(tested.ok).toBe(false);
    expect(tested.error.code).toBe('InvalidClientTokenId');
    expect(tested.error.message).toContain(`AWS does not accept the credentials of the role or key ${ACCESS_KEY_ID}`);
  });

  it('replaces the secret by PATCH, and keeps it when other fields change', async () => {
    const url = `/v1/destinations/${destinationId}`;
    const sealedNow = async () =>
      (await h.stack.database.pool.query('select secret_access_key from destinations where id = $1', [destinationId]))
        .rows[0].secret_access_key;
    const before = await sealedNow();
    expect((await call('PATCH', url, { name: 'Renamed' })).json().auth.secretHint).toBe('Zq9w');
    expect(await sealedNow()).toEqual(before);
    const rotated = await call('PATCH', url, { auth: accessKeyAuth(NEW_SECRET) });
    expect(rotated.json().auth).toEqual({
      mode: 'access_key',
      accessKeyId: ACCESS_KEY_ID,
      secretAccessKey: null,
      secretHint: 'Kx7v',
    });
    expect(createSecretBox({ currentKey: encryptionKey }).open(await sealedNow())).toBe(NEW_SECRET);
    // Switching to assume_role forgets the pair entirely.
    await call('PATCH', url, { auth: { mode: 'assume_role', roleArn: 'arn:aws:iam::123456789012:role/R' } });
    const { rows } = await h.stack.database.pool.query(
      'select access_key_id, secret_access_key, secret_hint from destinations where id = $1',
      [destinationId],
    );
    expect(rows[0]).toEqual({ access_key_id: null, secret_access_key: null, secret_hint: null });
  });

  it('does not echo a secret in a validation error', async () => {
    const refused = await call('POST', '/v1/destinations', {
      name: 'Bad',
      customerExternalId: CUSTOMER,
      type: 'sqs',
      config: { queueUrl },
      auth: { mode: 'access_key', accessKeyId: 'lower-case', secretAccessKey: SECRET },
    });
    expect(refused.statusCode).toBe(400);
  });
});

describe('the secrets', () => {
  it('appear in no answer, log line, or job payload', async () => {
    // The capture works: the refused request above was logged.
    expect(logLines.some((line) => line.includes('request refused'))).toBe(true);
    expect(answers.length).toBeGreaterThan(10);
    for (const secret of [SECRET, NEW_SECRET]) {
      for (const answer of answers) expect(answer.body).not.toContain(secret);
      for (const line of logLines) expect(line).not.toContain(secret);
    }
    const jobs: string[] = [];
    for (const key of await h.stack.redis.keys('*')) {
      if ((await h.stack.redis.type(key)) === 'hash') jobs.push(JSON.stringify(await h.stack.redis.hgetall(key)));
    }
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) for (const secret of [SECRET, NEW_SECRET]) expect(job).not.toContain(secret);
  });
});
