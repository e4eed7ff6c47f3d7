import type { AwsClientCache } from '@sluice/aws/clients';
import type { CredentialBroker, DestinationAuth } from '@sluice/aws/credentials';
import type { SealedSecret, SecretBox } from '@sluice/aws/secret-box';
import type { AwsEndpoints } from '@sluice/config/env';
import type { ConfiguredDestination, ConfigureResult } from './bound-destination.ts';
import { compileEventTypes, type EventTypeMatcher } from './event-type-match.ts';
import { destinationDefinitions } from './registry.ts';
import { bindTransform, type TransformSpec } from './transform/prepare-messages.ts';
import { sharedTransformRunner, type TransformRunner } from './transform/transform-runner.ts';
import { openTrustPolicyMessage, TRUST_POLICY_WITHOUT_EXTERNAL_ID } from './trust-check.ts';
import type { ConfigContext, DestinationType, SendContext } from './types.ts';
import { createVersionedCache } from './versioned-cache.ts';

/**
 * The one way from a stored destination to a ready adapter, for the API and the workers:
 * `configure` (config and event-type matcher, for the fan-out and the API) and `resolve`
 * (plus credentials, for sending). Both are cached per destination version (its updatedAt),
 * so a drain neither re-validates the config nor decrypts the secret for every batch; an edit
 * makes a new entry. A destination's transform is bound here too, so a PATCHed expression is
 * what the next drain (and a replay) evaluates; its threads compile each expression once.
 */

/** What the resolver reads of a stored destination (a destinations row satisfies it). */
export interface StoredDestination {
  id: string;
  tenantId: string;
  type: DestinationType;
  config: unknown;
  transform: TransformSpec | null;
  eventTypes: string[] | null;
  authMode: DestinationAuth['mode'];
  roleArn: string | null;
  externalId: string | null;
  accessKeyId: string | null;
  secretAccessKey: SealedSecret | null;
  /** Set while the role accepts an ExternalId that is not the destination's (see destination-inspection.ts). */
  trustPolicyOpenAt?: Date | null;
  updatedAt: Date;
}

/**
 * A stored destination Sluice cannot use: a config a newer version refuses, a secret no key
 * opens, a role open to any ExternalId. `code` and `fix` are for the held deliveries' lastError.
 */
export class UnusableDestinationError extends Error {
  override readonly name = 'UnusableDestinationError';
  readonly code: string;
  readonly fix: string;

  constructor(message: string, options: { code?: string; fix?: string } = {}) {
    super(message);
    this.code = options.code ?? 'destination_unusable';
    this.fix = options.fix ?? 'Fix it with PATCH; its deliveries wait until then.';
  }
}

export interface ConfiguredStored {
  destination: ConfiguredDestination;
  matches: EventTypeMatcher;
}

export interface ResolvedDestination extends ConfiguredStored {
  send: SendContext;
}

export interface ResolverDeps {
  endpoints: AwsEndpoints;
  broker: Pick<CredentialBroker, 'forDestination'>;
  clients: AwsClientCache;
  secrets: Pick<SecretBox, 'open'>;
  /** Where transforms run; the process's shared pool unless a test brings its own. */
  transforms?: TransformRunner;
  maxEntries?: number;
}

/** The auth a stored destination sends with; opens a stored secret. */
export function authOf(row: StoredDestination, secrets: Pick<SecretBox, 'open'>): DestinationAuth {
  if (row.authMode === 'assume_role') {
    if (!row.roleArn || !row.externalId) throw new UnusableDestinationError('assume_role without roleArn/ExternalId');
    return { mode: 'assume_role', roleArn: row.roleArn, externalId: row.externalId };
  }
  if (!row.accessKeyId || !row.secretAccessKey) throw new UnusableDestinationError('access_key without its pair');
  try {
    return { mode: 'access_key', accessKeyId: row.accessKeyId, secretAccessKey: secrets.open(row.secretAccessKey) };
  } catch {
    // The secret box's own message names the key ring: not for a tenant-visible error.
    throw new UnusableDestinationError(
      'its stored secret key can no longer be decrypted (an encryption key is missing)',
    );
  }
}

export function createDestinationResolver(deps: ResolverDeps) {
  const cache = createVersionedCache<{ configured: ConfiguredStored; resolved?: ResolvedDestination }>(
    deps.maxEntries ?? 5_000,
  );

  const contextFor = (type: DestinationType): ConfigContext => ({
    endpointOverride: deps.endpoints[destinationDefinitions[type].service],
  });

  function entryFor(row: StoredDestination) {
    const version = row.updatedAt.getTime();
    const hit = cache.get(row.id, version);
    if (hit) return hit;
    const transform = bindTransform(row.transform, deps.transforms ?? sharedTransformRunner());
    const result = destinationDefinitions[row.type].configure(row.config, contextFor(row.type), transform);
    if (!result.ok) {
      const problems = result.errors.map((e) => `${e.path} ${e.message}`).join('; ');
      throw new UnusableDestinationError(`its stored config is no longer valid: ${problems}`);
    }
    return cache.set(row.id, version, {
      configured: { destination: result.destination, matches: compileEventTypes(row.eventTypes) },
    });
  }

  function validate(type: DestinationType, rawConfig: unknown): ConfigureResult {
    return destinationDefinitions[type].configure(rawConfig, contextFor(type));
  }

  return {
    /** Validates a config from a request (not cached): the API's create and PATCH. */
    validate,

    /** Throws UnusableDestinationError when the stored config cannot be used. */
    configure: (row: StoredDestination): ConfiguredStored => entryFor(row).configured,

    /**
     * Throws UnusableDestinationError when the stored config or secret cannot be used, or while
     * the role was last found open to any ExternalId (checked outside the cache: a re-check
     * that finds it fixed changes no version).
     */
    resolve(row: StoredDestination): ResolvedDestination {
      if (row.trustPolicyOpenAt && row.roleArn && row.externalId) {
        throw new UnusableDestinationError(openTrustPolicyMessage(row.roleArn, row.externalId), {
          code: TRUST_POLICY_WITHOUT_EXTERNAL_ID,
          fix: 'Its deliveries wait until then: test the destination once the trust policy is fixed (Sluice also checks again every few minutes).',
        });
      }
      const entry = entryFor(row);
      if (entry.resolved) return entry.resolved;
      const { destination } = entry.configured;
      // The session may act only as the destination: its own actions on its one resource.
      const scope = {
        ...destination.iamPermissions,
        service: destinationDefinitions[row.type].service,
        region: destination.region,
      };
      const session = { tenantId: row.tenantId, destinationId: row.id, scope };
      entry.resolved = {
        ...entry.configured,
        send: { clients: deps.clients, credentials: deps.broker.forDestination(authOf(row, deps.secrets), session) },
      };
      return entry.resolved;
    },
  };
}

export type DestinationResolver = ReturnType<typeof createDestinationResolver>;
