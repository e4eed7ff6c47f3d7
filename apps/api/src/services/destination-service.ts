import { randomBytes } from 'node:crypto';
import type { AwsRuntime } from '@sluice/aws/aws-runtime';
import type { AwsIdentity } from '@sluice/aws/credentials';
import type { CreateDestinationInput, UpdateDestinationInput } from '@sluice/contracts/destinations';
import { newId } from '@sluice/db/ids';
import type { PageRequest } from '@sluice/db/pagination';
import type { QuotaOutcome } from '@sluice/db/repositories/destination-quotas';
import type {
  DestinationChanges,
  DestinationFilters,
  DestinationsRepository,
} from '@sluice/db/repositories/destinations-repository';
import type { DestinationRow, EventRow, NewDestinationRow } from '@sluice/db/schema';
import { toDeliverableEvent } from '@sluice/delivery/deliverable-event';
import { authOf } from '@sluice/delivery/destination-runtime';
import { testDestination } from '@sluice/destinations/destination-test';
import { configureDestination, endpointOverrideFor } from '@sluice/destinations/registry';
import type { DestinationType } from '@sluice/destinations/types';
import { AppError, badRequest, notFound } from '@sluice/errors/app-error';
import type { JobProducer } from '@sluice/jobs/producer';
import { toDestinationView } from './destination-views.ts';

type AuthInput = CreateDestinationInput['auth'];
type AuthColumns = Required<
  Pick<NewDestinationRow, 'authMode' | 'roleArn' | 'externalId' | 'accessKeyId' | 'secretAccessKey' | 'secretHint'>
>;

const IDENTITY_RETRY_MS = 60_000;

// 32 random bytes: unguessable, and within STS's ExternalId alphabet and length.
const generateExternalId = () => `sluice-${randomBytes(32).toString('base64url')}`;

export function createDestinationService(deps: {
  destinations: DestinationsRepository;
  aws: AwsRuntime;
  awsEndpoints: { sqs?: string | undefined; sns?: string | undefined; kinesis?: string | undefined };
  jobs: Pick<JobProducer, 'enqueueDrains'>;
  regroup: (destinationId: string, orderingKey: (event: EventRow) => string | null) => Promise<number>;
  /** Inserts unless the tenant's destination quotas are used up (destination-quotas.ts). */
  insertWithinQuota: (row: NewDestinationRow) => Promise<QuotaOutcome>;
}) {
  const endpoints = Object.fromEntries(Object.entries(deps.awsEndpoints).filter(([, v]) => v)) as Record<
    string,
    string
  >;

  /**
   * Sluice's own principal for the trust policy; undefined when STS cannot say (no credentials,
   * STS unreachable). A failure is remembered for a while: otherwise every destination request
   * would wait on STS again, up to its timeout, only to show the placeholder principal.
   */
  let identityFailedAt = Number.NEGATIVE_INFINITY;
  async function identity(): Promise<AwsIdentity | undefined> {
    if (Date.now() - identityFailedAt < IDENTITY_RETRY_MS) return undefined;
    return deps.aws.broker.serviceIdentity().catch(() => {
      identityFailedAt = Date.now();
      return undefined;
    });
  }
  const view = async (row: DestinationRow) => toDestinationView(row, await identity());

  /** The adapter's problems as the answer's errors[], under the request's `config` field. */
  const configErrors = (errors: Array<{ path: string; message: string }>) =>
    errors.map((e) => ({ path: e.path ? `config.${e.path}` : 'config', message: e.message }));
  const problems = (count: number) => (count === 1 ? '1 problem' : `${count} problems`);

  function validConfig(type: DestinationType, raw: unknown): Record<string, unknown> {
    const result = configureDestination(type, raw, endpointOverrideFor(type, endpoints));
    if (!result.ok)
      throw badRequest(`The ${type} config has ${problems(result.errors.length)}.`, configErrors(result.errors));
    return { ...result.destination.config };
  }

  /**
   * A PATCH's config: the current one without the values the schema derived (the region read
   * from the URL or ARN, the default group or partition field), then the client's fields on
   * top, where null removes a field (as in JSON Merge Patch). Derived values would otherwise pin
   * the old resource: a queue URL in another region, or a standard queue replacing a FIFO one,
   * would be refused for the old region or group field the client never chose.
   */
  function mergedConfig(current: DestinationRow, patch: Record<string, unknown>): Record<string, unknown> {
    const ctx = endpointOverrideFor(current.type, endpoints);
    const base: Record<string, unknown> = { ...current.config };
    for (const [field, value] of Object.entries(current.config)) {
      const { [field]: _dropped, ...without } = base;
      const rederived = configureDestination(current.type, without, ctx);
      if (!rederived.ok) continue;
      const normalised: Record<string, unknown> = { ...rederived.destination.config };
      if (normalised[field] === value) delete base[field];
    }
    const merged: Record<string, unknown> = { ...base, ...patch };
    for (const [field, value] of Object.entries(patch)) if (value === null) delete merged[field];
    return merged;
  }

  /**
   * Auth columns. The ExternalId, once generated, stays with the destination whatever the auth
   * changes to: the trust policy the customer pasted keeps working when the role changes, or
   * after a switch to access_key and back.
   */
  function authColumns(auth: AuthInput, current?: DestinationRow): AuthColumns {
    if (auth.mode === 'assume_role') {
      const externalId = current?.externalId ?? generateExternalId();
      return {
        authMode: 'assume_role',
        roleArn: auth.roleArn,
        externalId,
        accessKeyId: null,
        secretAccessKey: null,
        secretHint: null,
      };
    }
    return {
      authMode: 'access_key',
      roleArn: null,
      externalId: current?.externalId ?? null,
      accessKeyId: auth.accessKeyId,
      secretAccessKey: deps.aws.secrets.seal(auth.secretAccessKey),
      secretHint: auth.secretAccessKey.slice(-4),
    };
  }

  /** Pending deliveries take the groups of the new config (see reassignOrderingKeys). */
  async function regroupPending(row: DestinationRow): Promise<void> {
    const configured = configureDestination(row.type, row.config, endpointOverrideFor(row.type, endpoints));
    if (!configured.ok) return;
    await deps.regroup(row.id, (event) => configured.destination.orderingKey(toDeliverableEvent(event)));
  }

  async function mustGet(tenantId: string, id: string): Promise<DestinationRow> {
    const row = await deps.destinations.get(tenantId, id);
    if (!row) throw notFound('Destination');
    return row;
  }

  async function setPaused(tenantId: string, id: string, paused: boolean) {
    await mustGet(tenantId, id);
    const row = (await deps.destinations.update(tenantId, id, { pausedAt: paused ? new Date() : null }))!;
    // Resumed: its waiting deliveries go out now, in order (the drain claims group heads first).
    if (!paused) await deps.jobs.enqueueDrains([{ tenantId, destinationId: id }]).catch(() => {});
    return view(row);
  }

  return {
    async create(tenantId: string, input: CreateDestinationInput) {
      const outcome = await deps.insertWithinQuota({
        id: newId(),
        tenantId,
        customerExternalId: input.customerExternalId,
        name: input.name,
        type: input.type,
        config: validConfig(input.type, input.config),
        ...authColumns(input.auth),
        eventTypes: input.eventTypes ?? null,
        enabled: input.enabled ?? true,
        retryMaxAttempts: input.retry?.maxAttempts ?? null,
        retryMaxAgeSeconds: input.retry?.maxAgeSeconds ?? null,
      });
      if ('inserted' in outcome) return view(outcome.inserted);
      const whose = outcome.exceeded === 'tenant' ? 'This tenant' : `Customer ${input.customerExternalId}`;
      throw new AppError(
        'quota_exceeded',
        422,
        `${whose} has ${outcome.count} destinations, its limit of ${outcome.limit}: delete one, or ask the operator for more.`,
      );
    },

    async list(tenantId: string, filters: DestinationFilters, page: PageRequest) {
      const result = await deps.destinations.list(tenantId, filters, page);
      const me = await identity();
      return { data: result.data.map((row) => toDestinationView(row, me)), nextCursor: result.nextCursor };
    },

    get: async (tenantId: string, id: string) => view(await mustGet(tenantId, id)),

    async update(tenantId: string, id: string, input: UpdateDestinationInput) {
      const current = await mustGet(tenantId, id);
      const changes: DestinationChanges = {};
      if (input.name !== undefined) changes.name = input.name;
      // A partial config is merged into the current one, then the whole is checked again.
      if (input.config !== undefined) changes.config = validConfig(current.type, mergedConfig(current, input.config));
      if (input.auth !== undefined) Object.assign(changes, authColumns(input.auth, current));
      if (input.eventTypes !== undefined) changes.eventTypes = input.eventTypes;
      if (input.enabled !== undefined) changes.enabled = input.enabled;
      if (input.retry !== undefined) {
        changes.retryMaxAttempts = input.retry?.maxAttempts ?? null;
        changes.retryMaxAgeSeconds = input.retry?.maxAgeSeconds ?? null;
      }
      // A new queue or topic may have another size limit: the test endpoint learns it again.
      if (changes.config) changes.maxMessageBytes = null;
      const row = await deps.destinations.update(tenantId, id, changes);
      if (!row) throw notFound('Destination');
      if (changes.config) await regroupPending(row);
      if (row.enabled && !row.pausedAt)
        await deps.jobs.enqueueDrains([{ tenantId, destinationId: id }]).catch(() => {});
      return view(row);
    },

    async remove(tenantId: string, id: string): Promise<void> {
      const { deleted } = await deps.destinations.deleteWithPendingDeliveries(tenantId, id);
      if (!deleted) throw notFound('Destination');
    },

    pause: (tenantId: string, id: string) => setPaused(tenantId, id, true),
    resume: (tenantId: string, id: string) => setPaused(tenantId, id, false),

    async test(tenantId: string, id: string) {
      const row = await mustGet(tenantId, id);
      const configured = configureDestination(row.type, row.config, endpointOverrideFor(row.type, endpoints));
      // Valid when stored, but the rules changed since: typically an emulator URL after its
      // AWS_ENDPOINT_URL_* override was removed.
      if (!configured.ok) {
        throw badRequest(
          `The stored ${row.type} config is no longer valid (${problems(configured.errors.length)}); PATCH config to fix it.`,
          configErrors(configured.errors),
        );
      }
      const credentials = deps.aws.broker.forDestination(authOf(row, deps.aws.secrets), { tenantId });
      const result = await testDestination({
        destination: configured.destination,
        credentials,
        clients: deps.aws.clients,
        broker: deps.aws.broker,
        tenantId,
        destinationId: id,
        customerExternalId: row.customerExternalId,
      });
      if (result.maxMessageBytes !== null && result.maxMessageBytes !== row.maxMessageBytes) {
        await deps.destinations.setMaxMessageBytes(tenantId, id, result.maxMessageBytes);
      }
      const { maxMessageBytes: _learned, ...answer } = result;
      return answer;
    },
  };
}

export type DestinationService = ReturnType<typeof createDestinationService>;
