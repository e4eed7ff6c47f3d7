import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConfigError, DEV_ENCRYPTION_KEY, parseConfig } from '@sluice/config/env';
import { describe, expect, it } from 'vitest';

const goodKey = Buffer.alloc(32, 7).toString('base64');

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('has working defaults for a local machine', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      DATABASE_URL: 'postgres://postgres:postgres@127.0.0.1:5432/sluice',
      REDIS_URL: 'redis://127.0.0.1:6379',
      HOST: '127.0.0.1',
      PORT: 3000,
      usingDevEncryptionKey: true,
    });
    expect(config.OPERATOR_API_KEY).toBeUndefined();
  });

  it.each([
    [{ OPERATOR_API_KEY: 'short' }, 'OPERATOR_API_KEY must be at least 32 characters'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL must be a URL starting with postgres:// or postgresql://'],
    [{ DATABASE_URL: 'mysql://localhost/db' }, 'DATABASE_URL must be a URL'],
    [{ REDIS_URL: 'http://localhost' }, 'REDIS_URL must be a URL starting with redis://'],
    [{ PORT: '70000' }, 'PORT'],
    [{ ENCRYPTION_KEY: 'dG9vIHNob3J0' }, 'ENCRYPTION_KEY must be 32 bytes'],
    [{ AWS_ENDPOINT_URL_SQS: 'localhost:4566' }, 'AWS_ENDPOINT_URL_SQS'],
    [{ NODE_ENV: 'production' }, 'ENCRYPTION_KEY is required when NODE_ENV=production'],
    [{ NODE_ENV: 'production', ENCRYPTION_KEY: DEV_ENCRYPTION_KEY }, 'ENCRYPTION_KEY is the public development key'],
  ])('refuses %j', (env, message) => {
    expect(problemsOf(env).join('\n')).toContain(message);
  });

  it('sizes the AWS caches and sockets from the environment, with defaults', () => {
    expect(parseConfig({})).toMatchObject({
      AWS_CLIENT_CACHE_SIZE: 2_000,
      AWS_ROLE_SESSION_CACHE_SIZE: 10_000,
      AWS_MAX_SOCKETS: 256,
    });
    expect(
      parseConfig({ AWS_CLIENT_CACHE_SIZE: '5000', AWS_ROLE_SESSION_CACHE_SIZE: '20000', AWS_MAX_SOCKETS: '64' }),
    ).toMatchObject({ AWS_CLIENT_CACHE_SIZE: 5_000, AWS_ROLE_SESSION_CACHE_SIZE: 20_000, AWS_MAX_SOCKETS: 64 });
    expect(problemsOf({ AWS_CLIENT_CACHE_SIZE: '0', AWS_ROLE_SESSION_CACHE_SIZE: 'many' }).join('\n')).toMatch(
      /AWS_CLIENT_CACHE_SIZE[\s\S]*AWS_ROLE_SESSION_CACHE_SIZE/,
    );
  });

  it('keeps events 30 days and audit rows 365 unless told otherwise, in whole positive days', () => {
    expect(parseConfig({})).toMatchObject({ RETENTION_DAYS: 30, AUDIT_RETENTION_DAYS: 365 });
    expect(parseConfig({ RETENTION_DAYS: '7', AUDIT_RETENTION_DAYS: '730' })).toMatchObject({
      RETENTION_DAYS: 7,
      AUDIT_RETENTION_DAYS: 730,
    });
    for (const bad of ['0', '-1', '1.5', 'forever']) {
      const named = problemsOf({ RETENTION_DAYS: bad, AUDIT_RETENTION_DAYS: bad }).map((line) => line.split(' ')[0]);
      expect(named.sort()).toEqual(['AUDIT_RETENTION_DAYS', 'RETENTION_DAYS']);
    }
  });

  it('accepts a production setup with its own key, and derives per-service AWS endpoints', () => {
    const config = parseConfig({
      NODE_ENV: 'production',
      ENCRYPTION_KEY: goodKey,
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:4567',
    });
    expect(config.usingDevEncryptionKey).toBe(false);
    expect(config.awsEndpoints).toEqual({
      sqs: 'http://127.0.0.1:4566',
      sns: 'http://127.0.0.1:4566',
      kinesis: 'http://127.0.0.1:4566',
      eventbridge: 'http://127.0.0.1:4566',
      sts: 'http://127.0.0.1:4567',
    });
  });

  it('has the contract’s default tenant limits, and a burst of twice the rate unless one is given', () => {
    expect(parseConfig({}).defaultTenantLimits).toEqual({
      ingestPerSecond: 1000,
      ingestBurst: 2000,
      maxDestinations: 1000,
      maxDestinationsPerCustomer: 20,
      destinationTestsPerMinute: 20,
    });
    expect(parseConfig({ DEFAULT_INGEST_PER_SECOND: '50' }).defaultTenantLimits).toMatchObject({
      ingestPerSecond: 50,
      ingestBurst: 100,
    });
    expect(parseConfig({ DEFAULT_INGEST_BURST: '7' }).defaultTenantLimits.ingestBurst).toBe(7);
    const problems = problemsOf({ DEFAULT_INGEST_PER_SECOND: '0', REDIS_COMMAND_TIMEOUT_MS: 'soon' });
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toMatch(
      /DEFAULT_INGEST_PER_SECOND[\s\S]*REDIS_COMMAND_TIMEOUT_MS|REDIS_COMMAND_TIMEOUT_MS[\s\S]*DEFAULT_INGEST_PER_SECOND/,
    );
  });

  it('makes a process exit with code 1 and every problem listed', () => {
    const cli = fileURLToPath(new URL('../../db/src/migrate-cli.ts', import.meta.url));
    const result = spawnSync(process.execPath, ['--import', 'tsx', cli], {
      env: { PATH: process.env.PATH, OPERATOR_API_KEY: 'short', DATABASE_URL: 'nope' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('OPERATOR_API_KEY must be at least 32 characters');
    expect(result.stderr).toContain('DATABASE_URL must be a URL');
  });
});
