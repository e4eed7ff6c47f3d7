import { describe, expect, it } from 'vitest';
import { createAwsClientCache } from '../src/clients.ts';
import type { DestinationCredentials } from '../src/credentials.ts';
import { buildTrustPolicy, trustPolicyJson, trustPrincipal } from '../src/trust-policy.ts';

function staticCredentials(cacheKey: string): DestinationCredentials {
  return {
    mode: 'access_key',
    cacheKey,
    principal: cacheKey,
    provider: async () => ({ accessKeyId: 'AKIA', secretAccessKey: 'x' }),
    invalidate: () => {},
  };
}

describe('client cache', () => {
  it('keeps one client per service, region and credential identity', async () => {
    const cache = createAwsClientCache({ endpoints: { sqs: 'http://127.0.0.1:1' } });
    const a = staticCredentials('key:a');
    const first = cache.sqs({ region: 'us-east-1', credentials: a });
    expect(cache.sqs({ region: 'us-east-1', credentials: a })).toBe(first);
    expect(cache.sqs({ region: 'eu-west-1', credentials: a })).not.toBe(first);
    expect(cache.sqs({ region: 'us-east-1', credentials: staticCredentials('key:b') })).not.toBe(first);
    expect(cache.sns({ region: 'us-east-1', credentials: a })).not.toBe(first);
    expect(cache.size()).toBe(4);
    expect(await first.config.endpoint?.()).toMatchObject({ hostname: '127.0.0.1', port: 1 });
    expect(await first.config.maxAttempts()).toBe(1);
    cache.destroy();
    expect(cache.size()).toBe(0);
  });

  it('shares one HTTP handler (and its sockets) between the clients of a region', () => {
    const cache = createAwsClientCache();
    const [a, b] = [staticCredentials('key:a'), staticCredentials('key:b')];
    const east = cache.sqs({ region: 'us-east-1', credentials: a });
    expect(cache.sns({ region: 'us-east-1', credentials: b }).config.requestHandler).toBe(east.config.requestHandler);
    expect(cache.kinesis({ region: 'us-east-1', credentials: a }).config.requestHandler).toBe(
      east.config.requestHandler,
    );
    expect(cache.sqs({ region: 'eu-west-1', credentials: a }).config.requestHandler).not.toBe(
      east.config.requestHandler,
    );
    cache.destroy();
  });

  it('never destroys a client it evicts: a send still running on it goes on', () => {
    const cache = createAwsClientCache({ maxClients: 1 });
    const first = cache.sqs({ region: 'us-east-1', credentials: staticCredentials('key:a') });
    let destroyed = false;
    first.destroy = () => {
      destroyed = true;
    };
    cache.sqs({ region: 'us-east-1', credentials: staticCredentials('key:b') });
    cache.forget(staticCredentials('key:b'));
    expect(cache.size()).toBe(0);
    expect(destroyed).toBe(false);
    cache.destroy();
    expect(destroyed).toBe(false);
  });

  it('evicts the least recently used client beyond its bound', () => {
    const cache = createAwsClientCache({ maxClients: 2 });
    const a = staticCredentials('key:a');
    const east = cache.kinesis({ region: 'us-east-1', credentials: a });
    const west = cache.kinesis({ region: 'us-west-2', credentials: a });
    expect(cache.kinesis({ region: 'us-east-1', credentials: a })).toBe(east); // touch: west is now the oldest
    cache.kinesis({ region: 'eu-west-1', credentials: a });
    expect(cache.size()).toBe(2);
    expect(cache.kinesis({ region: 'us-east-1', credentials: a })).toBe(east);
    expect(cache.kinesis({ region: 'us-west-2', credentials: a })).not.toBe(west);
    cache.destroy();
  });

  it('forgets the clients of one credential identity', () => {
    const cache = createAwsClientCache();
    const a = staticCredentials('key:a');
    const first = cache.sqs({ region: 'us-east-1', credentials: a });
    cache.sns({ region: 'us-east-1', credentials: staticCredentials('key:b') });
    cache.forget(a);
    expect(cache.size()).toBe(1);
    expect(cache.sqs({ region: 'us-east-1', credentials: a })).not.toBe(first);
    cache.destroy();
  });
});

describe('trust policy', () => {
  const user = { account: '111122223333', arn: 'arn:aws:iam::111122223333:user/sluice', userId: 'AIDA' };
  const session = {
    account: '111122223333',
    arn: 'arn:aws:sts::111122223333:assumed-role/SluiceService/i-0abc',
    userId: 'AROA:i-0abc',
  };

  it('names the caller, the role behind a session, or the account', () => {
    expect(trustPrincipal(user)).toBe('arn:aws:iam::111122223333:user/sluice');
    expect(trustPrincipal(session)).toBe('arn:aws:iam::111122223333:role/SluiceService');
    expect(trustPrincipal(session, 'account')).toBe('arn:aws:iam::111122223333:root');
  });

  it('allows only sts:AssumeRole (and tagging its session) with the destination ExternalId', () => {
    expect(buildTrustPolicy({ identity: session, externalId: 'ext-1' })).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::111122223333:role/SluiceService' },
          Action: ['sts:AssumeRole', 'sts:TagSession'],
          Condition: { StringEquals: { 'sts:ExternalId': 'ext-1' } },
        },
      ],
    });
    expect(JSON.parse(trustPolicyJson({ identity: user, externalId: 'ext-2' })).Statement[0].Condition).toEqual({
      StringEquals: { 'sts:ExternalId': 'ext-2' },
    });
  });
});
