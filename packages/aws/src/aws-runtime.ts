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
  config: Pick<Config, 'AWS_REGION' | 'awsEndpoints' | 'encryptionKey' | 'previousEncryptionKeys'>,
): AwsRuntime {
  const broker = createCredentialBroker({
    region: config.AWS_REGION ?? 'us-east-1',
    ...(config.awsEndpoints.sts ? { stsEndpoint: config.awsEndpoints.sts } : {}),
  });
  const clients = createAwsClientCache({ endpoints: config.awsEndpoints });
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
