import { randomBytes } from 'node:crypto';
import type { AwsRuntime } from '@sluice/aws/aws-runtime';
import type { AwsIdentity } from '@sluice/aws/credentials';
import type { StoredAlertRules } from '@sluice/contracts/alerts';
import type { CreateDestinationInput, UpdateDestinationInput } from '@sluice/contracts/destinations';
import { toDeliverableEvent } from '@sluice/contracts/events';
import { toEventView } from '@sluice/db/event-view';
import { newId } from '@sluice/db/ids';
import type { PageRequest } from '@sluice/db/pagination';
import type { DestinationHealthRepository } from '@sluice/db/repositories/destination-health-repository';
import type {
  DestinationChanges,
  DestinationFilters,
  DestinationsRepository,
} from '@sluice/db/repositories/destinations-repository';
import type { DestinationRow, NewDestinationRow } from '@sluice/db/schema/destinations';
import { testDestination } from '@sluice/destinations/destination-test';
import { type DestinationResolver, UnusableDestinationError } from '@sluice/destinations/resolver';
import type { DestinationType } from '@sluice/destinations/types';
import { AppError, badRequest, forbidden, notFound } from '@sluice/errors/app-error';
import type { JobProducer } from '@sluice/jobs/producer';
import { toDestinationView } from '../views/destinations.ts';
import { buildDestinationSetup, identityFromArn } from './destination-setup.ts';
import type { TenantScope } from './tenant-scope.ts';

type AuthInput = CreateDestinationInput['auth'];
type AuthColumns = Required<
  Pick<NewDestinationRow, 'authMode' | 'roleArn' | 'externalId' | 'accessKeyId' | 'secretAccessKey' | 'secretHint'>
>;

const IDENTITY_RETRY_MS = 60_000;

// 32 random bytes: unguessable, and within STS's ExternalId alphabet and length.
const generateExternalId = () => `sluice-${randomBytes(32).toString('base64url')}`;

export function createDestinationService(deps: {
  destinations: DestinationsRepository;
  health: Pick<DestinationHealthRepository, 'forDestinations'>;
  aws: AwsRuntime;
  resolver: DestinationResolver;
  jobs: Pick<JobProducer, 'enqueue'>;
  /** SERVICE_PRINCIPAL_ARN: the principal trust policies name, instead of asking STS. */
  servicePrincipalArn?: string | undefined;
}) {
  /**
   * Sluice's own principal for the trust policy; undefined when STS cannot say (no credentials,
   * STS unreachable). A failure is remembered for a while: otherwise every destination request
   * would wait on STS again, up to its timeout, only to show the placeholder principal.
   */
  let identityFailedAt = Number.NEGATIVE_INFINITY;
  async function identity(): Promise<AwsIdentity | undefined> {
    if (deps.servicePrincipalArn) return identityFromArn(deps.servicePrincipalArn);
    if (Date.now() - identityFailedAt < IDENTITY_RETRY_MS) return undefined;
    return deps.aws.broker.serviceIdentity().catch(() => {
      identityFailedAt = Date.now();
      return undefined;
    });
  }
  const view = async (row: DestinationRow) => {
    const [me, health] = await Promise.all([identity(), deps.health.forDestinations(row.tenantId, [row.id])]);
    return toDestinationView(row, me, health.get(row.id));
  };

  /** The rules set so far with the input's on top: a missing rule keeps its value, null turns it off. */
  const alertRules = (current: StoredAlertRules, input: StoredAlertRules | undefined): StoredAlertRules =>
    Object.fromEntries(Object.entries({ ...current, ...input }).filter(([, value]) => value !== undefined));

  /** The adapter's problems as the answer's errors[], under the request's `config` field. */
  const configErrors = (errors: Array<{ path: string; message: string }>) =>
    errors.map((e) => ({ path: e.path ? `config.${e.path}` : 'config', message: e.message }));
  const problems = (count: number) => (count === 1 ? '1 problem' : `${count} problems`);

  function validConfig(type: DestinationType, raw: unknown): Record<string, unknown> {
    const result = deps.resolver.validate(type, raw);
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
    const base: Record<string, unknown> = { ...current.config };
    for (const [field, value] of Object.entries(current.config)) {
      const { [field]: _dropped, ...without } = base;
      const rederived = deps.resolver.validate(current.type, without);
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

  /**
   * Whether a new config forms FIFO groups differently (a new messageGroupIdField, a queue that
   * became FIFO or stopped being one): then the pending deliveries must be regrouped.
   */
  function groupsChange(current: DestinationRow, config: Record<string, unknown>): boolean {
    const before = deps.resolver.validate(current.type, current.config);
    const after = deps.resolver.validate(current.type, config);
    if (!before.ok || !after.ok) return true;
    if (!before.destination.isFifo && !after.destination.isFifo) return false;
    return (
      before.destination.isFifo !== after.destination.isFifo ||
      before.destination.config.messageGroupIdField !== after.destination.config.messageGroupIdField
    );
  }

  async function mustGet(scope: TenantScope, id: string): Promise<DestinationRow> {
    const row = await deps.destinations.get(scope.tenantId, id, scope.customerExternalId);
    if (!row) throw notFound('Destination');
    return row;
  }

  async function setPaused(scope: TenantScope, id: string, paused: boolean) {
    const { tenantId } = scope;
    await mustGet(scope, id);
    const changes = { pausedAt: paused ? new Date() : null };
    const row = await deps.destinations.update(tenantId, id, changes, scope.customerExternalId);
    if (!row) throw notFound('Destination');
    // Resumed: its waiting deliveries go out now, in order (the drain claims group heads first).
    if (!paused) await deps.jobs.enqueue('drain', [{ tenantId, destinationId: id }]).catch(() => {});
    return view(row);
  }

  return {
    async create(scope: TenantScope, input: CreateDestinationInput) {
      if (scope.customerExternalId !== undefined && input.customerExternalId !== scope.customerExternalId) {
        throw forbidden('This portal token creates destinations only for its own customerExternalId.');
      }
      const row = await deps.destinations.insert({
        id: newId(),
        tenantId: scope.tenantId,
        customerExternalId: input.customerExternalId,
        name: input.name,
        type: input.type,
        config: validConfig(input.type, input.config),
        ...authColumns(input.auth),
        eventTypes: input.eventTypes ?? null,
        enabled: input.enabled ?? true,
        retryMaxAttempts: input.retry?.maxAttempts ?? null,
        retryMaxAgeSeconds: input.retry?.maxAgeSeconds ?? null,
        alertRules: alertRules({}, input.alerts),
      });
      return view(row);
    },

    async list(scope: TenantScope, filters: DestinationFilters, page: PageRequest) {
      const customer = scope.customerExternalId;
      // A portal token sees its own customer's list; naming another customer finds nothing.
      if (customer !== undefined && filters.customerExternalId && filters.customerExternalId !== customer) {
        return { data: [], nextCursor: null };
      }
      const scoped = customer === undefined ? filters : { ...filters, customerExternalId: customer };
      const result = await deps.destinations.list(scope.tenantId, scoped, page);
      const [me, health] = await Promise.all([
        identity(),
        deps.health.forDestinations(
          scope.tenantId,
          result.data.map((row) => row.id),
        ),
      ]);
      return {
        data: result.data.map((row) => toDestinationView(row, me, health.get(row.id))),
        nextCursor: result.nextCursor,
      };
    },

    get: async (scope: TenantScope, id: string) => view(await mustGet(scope, id)),

    async update(scope: TenantScope, id: string, input: UpdateDestinationInput) {
      const { tenantId } = scope;
      const current = await mustGet(scope, id);
      const changes: DestinationChanges = {};
      if (input.name !== undefined) changes.name = input.name;
      // A partial config is merged into the current one, then the whole is checked again.
      if (input.config !== undefined) changes.config = validConfig(current.type, mergedConfig(current, input.config));
      if (input.auth !== undefined) Object.assign(changes, authColumns(input.auth, current));
      if (input.eventTypes !== undefined) changes.eventTypes = input.eventTypes;
      if (input.enabled !== undefined) changes.enabled = input.enabled;
      if (input.alerts !== undefined) changes.alertRules = alertRules(current.alertRules, input.alerts);
      if (input.retry !== undefined) {
        changes.retryMaxAttempts = input.retry?.maxAttempts ?? null;
        changes.retryMaxAgeSeconds = input.retry?.maxAgeSeconds ?? null;
      }
      // A new queue or topic may have another size limit: the test endpoint learns it again.
      if (changes.config) changes.maxMessageBytes = null;
      // Regrouping starts with the change itself: from this commit on, no drain claims until
      // the pending deliveries carry the new groups (a background job, see destination-maintenance).
      const regroup = changes.config !== undefined && groupsChange(current, changes.config);
      if (regroup) changes.regroupingAt = new Date();
      const row = await deps.destinations.update(tenantId, id, changes, scope.customerExternalId);
      if (!row) throw notFound('Destination');
      if (regroup)
        await deps.jobs.enqueue('maintenance', [{ tenantId, destinationId: id, task: 'regroup' }]).catch(() => {});
      if (row.enabled && !row.pausedAt)
        await deps.jobs.enqueue('drain', [{ tenantId, destinationId: id }]).catch(() => {});
      return view(row);
    },

    /** 204 at once: the backlog goes to the dead-letter queue in the background (and the sweeper makes sure). */
    async remove(scope: TenantScope, id: string): Promise<void> {
      if (!(await deps.destinations.markDeleted(scope.tenantId, id, scope.customerExternalId)))
        throw notFound('Destination');
      await deps.jobs
        .enqueue('maintenance', [{ tenantId: scope.tenantId, destinationId: id, task: 'purge' }])
        .catch(() => {});
    },

    pause: (scope: TenantScope, id: string) => setPaused(scope, id, true),
    resume: (scope: TenantScope, id: string) => setPaused(scope, id, false),

    async setup(scope: TenantScope, id: string) {
      const row = await mustGet(scope, id);
      const configured = deps.resolver.validate(row.type, row.config);
      if (!configured.ok) {
        throw badRequest(`The stored ${row.type} config is no longer valid; PATCH config to fix it.`);
      }
      const me = await identity();
      if (!me) {
        throw new AppError(
          'service_identity_unknown',
          503,
          'Sluice cannot learn its own AWS principal from STS: the operator sets SERVICE_PRINCIPAL_ARN.',
        );
      }
      return buildDestinationSetup(row, me, configured.destination.iamPermissions);
    },

    async test(scope: TenantScope, id: string) {
      const { tenantId } = scope;
      const row = await mustGet(scope, id);
      const configured = deps.resolver.validate(row.type, row.config);
      // Valid when stored, but the rules changed since: typically an emulator URL after its
      // AWS_ENDPOINT_URL_* override was removed.
      if (!configured.ok) {
        throw badRequest(
          `The stored ${row.type} config is no longer valid (${problems(configured.errors.length)}); PATCH config to fix it.`,
          configErrors(configured.errors),
        );
      }
      let resolved: ReturnType<DestinationResolver['resolve']>;
      try {
        resolved = deps.resolver.resolve(row);
      } catch (error) {
        if (!(error instanceof UnusableDestinationError)) throw error;
        throw badRequest(`The destination cannot be used: ${error.message}. PATCH auth to fix it.`);
      }
      const result = await testDestination({
        destination: resolved.destination,
        credentials: resolved.send.credentials,
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
