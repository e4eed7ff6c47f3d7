import type { Config } from '@sluice/config/env';
import { type AwsClientCache, createAwsClientCache } from './clients.ts';
import { type CredentialBroker, createCredentialBroker } from './credentials.ts';
import { createSecretBox, type SecretBox } from './secret-box.ts';

/** The AWS pieces every process shares: one credential broker, one client cache, one secret box. */
export interface AwsRuntime {
  broker: CredentialBroker;
  clients: AwsClientCache;
  secrets: SecretBox;
  destroy(): void;
}

export function createAwsRuntime(
  config: Pick<
    Config,
    | 'AWS_REGION'
    | 'AWS_CLIENT_CACHE_SIZE'
    | 'AWS_ROLE_SESSION_CACHE_SIZE'
    | 'AWS_MAX_SOCKETS'
    | 'awsEndpoints'
    | 'encryptionKey'
    | 'previousEncryptionKeys'
  >,
): AwsRuntime {
  const broker = createCredentialBroker({
    region: config.AWS_REGION ?? 'us-east-1',
    ...(config.awsEndpoints.sts ? { stsEndpoint: config.awsEndpoints.sts } : {}),
    maxCachedRoles: config.AWS_ROLE_SESSION_CACHE_SIZE,
  });
  const clients = createAwsClientCache({
    endpoints: config.awsEndpoints,
    maxClients: config.AWS_CLIENT_CACHE_SIZE,
    timeouts: { maxSockets: config.AWS_MAX_SOCKETS },
  });
  const secrets = createSecretBox({ currentKey: config.encryptionKey, previousKeys: config.previousEncryptionKeys });
  return {
    broker,
    clients,
    secrets,
    destroy() {
      clients.destroy();
      broker.destroy();
    },
  };
}
