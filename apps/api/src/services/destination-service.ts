import type { AwsRuntime } from '@sluice/aws/aws-runtime';
import type { AwsIdentity } from '@sluice/aws/service-identity';
import type { StoredAlertRules } from '@sluice/contracts/alerts';
import type { CreateDestinationInput, UpdateDestinationInput } from '@sluice/contracts/destinations';
import type { DatabaseHandle } from '@sluice/db/client';
import { newId } from '@sluice/db/ids';
import type { PageRequest } from '@sluice/db/pagination';
import type { DestinationHealthRepository } from '@sluice/db/repositories/destination-health-repository';
import type { QuotaOutcome } from '@sluice/db/repositories/destination-quotas';
import type {
  DestinationChanges,
  DestinationFilters,
  DestinationsRepository,
} from '@sluice/db/repositories/destinations-repository';
import type { FifoHolds } from '@sluice/db/repositories/fifo-holds';
import type { DestinationRow, NewDestinationRow } from '@sluice/db/schema/destinations';
import type { DestinationResolver } from '@sluice/destinations/resolver';
import { AppError, badRequest, forbidden, notFound } from '@sluice/errors/app-error';
import type { JobProducer } from '@sluice/jobs/producer';
import { toDestinationView } from '../views/destinations.ts';
import type { DestinationAwsChecks } from './destination-aws-checks.ts';
import { createDestinationInput } from './destination-input.ts';
import { buildDestinationSetup, identityFromArn } from './destination-setup.ts';
import type { TenantScope } from './tenant-scope.ts';

export function createDestinationService(deps: {
  destinations: DestinationsRepository;
  database: Pick<DatabaseHandle, 'transaction'>;
  /** Releases held FIFO groups when a destination stops holding them. */
  holds: Pick<FifoHolds, 'releaseDestination'>;
  health: Pick<DestinationHealthRepository, 'forDestinations'>;
  aws: Pick<AwsRuntime, 'secrets'>;
  resolver: DestinationResolver;
  checks: DestinationAwsChecks;
  jobs: Pick<JobProducer, 'enqueue'>;
  /** SERVICE_PRINCIPAL_ARN: the principal trust policies name, instead of asking STS. */
  servicePrincipalArn?: string | undefined;
  /** Inserts unless the tenant's destination quotas are used up (destination-quotas.ts). */
  insertWithinQuota: (row: NewDestinationRow) => Promise<QuotaOutcome>;
}) {
  /** Sluice's own principal for trust policies; undefined when STS cannot say (the broker remembers a failure). */
  const identity = async (): Promise<AwsIdentity | undefined> =>
    deps.servicePrincipalArn ? identityFromArn(deps.servicePrincipalArn) : deps.checks.serviceIdentity();
  const view = async (row: DestinationRow) => {
    const [me, health] = await Promise.all([identity(), deps.health.forDestinations(row.tenantId, [row.id])]);
    return toDestinationView(row, me, health.get(row.id));
  };

  /** The rules set so far with the input's on top: a missing rule keeps its value, null turns it off. */
  const alertRules = (current: StoredAlertRules, input: StoredAlertRules | undefined): StoredAlertRules =>
    Object.fromEntries(Object.entries({ ...current, ...input }).filter(([, value]) => value !== undefined));

  const inputs = createDestinationInput(deps);

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
      const { config } = inputs.validated(input.type, input.config, input.transform);
      if (input.auth.mode === 'assume_role') await deps.checks.refuseServiceAccountRole(input.auth.roleArn);
      const outcome = await deps.insertWithinQuota({
        id: newId(),
        tenantId: scope.tenantId,
        customerExternalId: input.customerExternalId,
        name: input.name,
        type: input.type,
        config: config ?? {},
        fifoOnDeadLetter: inputs.fifoPolicy(input.type, config ?? {}, input.fifo),
        transform: inputs.transformColumn(input.transform),
        ...inputs.authColumns(input.auth),
        eventTypes: input.eventTypes ?? null,
        enabled: input.enabled ?? true,
        retryMaxAttempts: input.retry?.maxAttempts ?? null,
        retryMaxAgeSeconds: input.retry?.maxAgeSeconds ?? null,
        rateLimitPerSecond: input.rateLimit?.perSecond ?? null,
        alertRules: alertRules({}, input.alerts),
      });
      if (!('inserted' in outcome)) {
        const whose = outcome.exceeded === 'tenant' ? 'This tenant' : `Customer ${input.customerExternalId}`;
        throw new AppError(
          'quota_exceeded',
          422,
          `${whose} has ${outcome.count} destinations, its limit of ${outcome.limit}: delete one, or ask the operator for more.`,
        );
      }
      return view(await deps.checks.inspect(outcome.inserted));
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
      if (input.auth?.mode === 'assume_role') await deps.checks.refuseServiceAccountRole(input.auth.roleArn);
      const changes: DestinationChanges = {};
      if (input.name !== undefined) changes.name = input.name;
      // A partial config is merged into the current one, then the whole is checked again.
      const checked = inputs.validated(
        current.type,
        input.config === undefined ? undefined : inputs.mergedConfig(current, input.config),
        input.transform,
      );
      if (checked.config) changes.config = checked.config;
      if (input.transform !== undefined) changes.transform = inputs.transformColumn(input.transform);
      if (input.auth !== undefined) Object.assign(changes, inputs.authColumns(input.auth, current));
      const fifoPolicy = inputs.fifoPolicy(
        current.type,
        checked.config ?? current.config,
        input.fifo,
        current.fifoOnDeadLetter,
      );
      if (fifoPolicy !== current.fifoOnDeadLetter) changes.fifoOnDeadLetter = fifoPolicy;
      if (input.eventTypes !== undefined) changes.eventTypes = input.eventTypes;
      if (input.enabled !== undefined) changes.enabled = input.enabled;
      if (input.alerts !== undefined) changes.alertRules = alertRules(current.alertRules, input.alerts);
      if (input.retry !== undefined) {
        changes.retryMaxAttempts = input.retry?.maxAttempts ?? null;
        changes.retryMaxAgeSeconds = input.retry?.maxAgeSeconds ?? null;
      }
      if (input.rateLimit !== undefined) changes.rateLimitPerSecond = input.rateLimit?.perSecond ?? null;
      // A new queue or topic may have another size limit, a new role another trust policy:
      // what was learned of the old ones no longer holds, and is read again below.
      if (changes.config) changes.maxMessageBytes = null;
      if (changes.authMode) changes.trustPolicyOpenAt = null;
      // Regrouping starts with the change itself: from this commit on, no drain claims until
      // the pending deliveries carry the new groups (a background job, see destination-maintenance).
      const regroup = changes.config !== undefined && inputs.groupsChange(current, changes.config);
      if (regroup) changes.regroupingAt = new Date();
      const updated = await deps.destinations.update(tenantId, id, changes, scope.customerExternalId);
      if (!updated) throw notFound('Destination');
      // Back to skip (or no longer FIFO): the change applies to what is pending, so held groups go on now.
      // The drain's outcome statement reads the policy FOR SHARE: a hold recorded concurrently is
      // either seen by this release or was decided under the new policy.
      if (changes.fifoOnDeadLetter === 'skip') {
        await deps.database.transaction((tx) => deps.holds.releaseDestination(tx, id));
      }
      const row = changes.config || changes.authMode ? await deps.checks.inspect(updated) : updated;
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
      const row = await mustGet(scope, id);
      const configured = deps.resolver.validate(row.type, row.config);
      // Valid when stored, but the rules changed since: typically an emulator URL after its
      // AWS_ENDPOINT_URL_* override was removed.
      if (!configured.ok) {
        throw badRequest(
          `The stored ${row.type} config is no longer valid (${inputs.problems(configured.errors.length)}); PATCH config to fix it.`,
          inputs.configErrors(configured.errors),
        );
      }
      return deps.checks.test(row);
    },
  };
}

export type DestinationService = ReturnType<typeof createDestinationService>;
