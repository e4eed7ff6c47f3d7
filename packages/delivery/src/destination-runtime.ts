import type { AwsClientCache } from '@sluice/aws/clients';
import type { CredentialBroker, DestinationAuth } from '@sluice/aws/credentials';
import type { SecretBox } from '@sluice/aws/secret-box';
import type { DestinationRow } from '@sluice/db/schema';
import { type ConfiguredDestination, configureDestination, endpointOverrideFor } from '@sluice/destinations/registry';
import type { SendContext } from '@sluice/destinations/types';

/**
 * A destination row made ready to send: its adapter bound to its config, and its
 * credentials. Cached per destination version, so a drain does not re-validate the config
 * or decrypt the secret on every batch; an edit (new updatedAt) makes a new entry.
 */
export interface DestinationRuntime {
  destination: ConfiguredDestination;
  send: SendContext;
}

export interface RuntimeDeps {
  awsEndpoints: { sqs?: string | undefined; sns?: string | undefined; kinesis?: string | undefined };
  broker: CredentialBroker;
  clients: AwsClientCache;
  secrets: SecretBox;
}

export class InvalidStoredDestinationError extends Error {}

export function authOf(row: DestinationRow, secrets: SecretBox): DestinationAuth {
  if (row.authMode === 'assume_role') {
    if (!row.roleArn || !row.externalId)
      throw new InvalidStoredDestinationError('assume_role without roleArn/ExternalId');
    return { mode: 'assume_role', roleArn: row.roleArn, externalId: row.externalId };
  }
  if (!row.accessKeyId || !row.secretAccessKey) throw new InvalidStoredDestinationError('access_key without its pair');
  return { mode: 'access_key', accessKeyId: row.accessKeyId, secretAccessKey: secrets.open(row.secretAccessKey) };
}

export function configureStored(row: DestinationRow, endpoints: RuntimeDeps['awsEndpoints']): ConfiguredDestination {
  const configured = configureDestination(row.type, row.config, endpointOverrideFor(row.type, clean(endpoints)));
  if (!configured.ok) {
    throw new InvalidStoredDestinationError(
      `stored config no longer valid: ${configured.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
    );
  }
  return configured.destination;
}

const clean = (endpoints: RuntimeDeps['awsEndpoints']) =>
  Object.fromEntries(Object.entries(endpoints).filter(([, value]) => value !== undefined)) as Record<string, string>;

export function createDestinationRuntimes(deps: RuntimeDeps, maxEntries = 2_000) {
  const cache = new Map<string, { version: number; runtime: DestinationRuntime }>();

  return {
    /** Throws InvalidStoredDestinationError when the row cannot be used (a bug or a key that was removed). */
    resolve(row: DestinationRow): DestinationRuntime {
      const version = row.updatedAt.getTime();
      const hit = cache.get(row.id);
      if (hit && hit.version === version) return hit.runtime;
      const runtime: DestinationRuntime = {
        destination: configureStored(row, deps.awsEndpoints),
        send: {
          clients: deps.clients,
          credentials: deps.broker.forDestination(authOf(row, deps.secrets), { tenantId: row.tenantId }),
        },
      };
      cache.delete(row.id);
      cache.set(row.id, { version, runtime });
      if (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
      return runtime;
    },
  };
}

export type DestinationRuntimes = ReturnType<typeof createDestinationRuntimes>;
