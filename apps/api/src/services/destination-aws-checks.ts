import type { AwsRuntime } from '@sluice/aws/aws-runtime';
import { type AwsIdentity, accountOfArn } from '@sluice/aws/service-identity';
import type { DestinationInspections } from '@sluice/db/repositories/destination-inspections';
import type { DestinationRow } from '@sluice/db/schema/destinations';
import { inspectStoredDestination, trustPolicyOpenOf } from '@sluice/destinations/destination-inspection';
import { testDestination } from '@sluice/destinations/destination-test';
import { type DestinationResolver, UnusableDestinationError } from '@sluice/destinations/resolver';
import { badRequest } from '@sluice/errors/app-error';

/**
 * What the destination API asks AWS about a destination: who Sluice is (for the trust policy,
 * and to refuse roles in its own account), what the destination accepts and whether its role
 * refuses other ExternalIds (at create, on a config or auth change, and in the test endpoint).
 * What is learned is stored, so deliveries use it at once.
 */

/** How long a create or PATCH waits on AWS; the worker's inspection pass learns the rest later. */
export const INSPECTION_TIMEOUT_MS = 3_000;

export function createDestinationAwsChecks(deps: {
  aws: AwsRuntime;
  resolver: DestinationResolver;
  inspections: DestinationInspections;
}) {
  /**
   * Sluice's own principal; undefined when STS cannot say (no credentials, STS unreachable).
   * The broker remembers a failure for a while, so requests do not each wait on a dead STS.
   */
  const serviceIdentity = (): Promise<AwsIdentity | undefined> =>
    deps.aws.broker.serviceIdentity().catch(() => undefined);

  /** Stores what an inspection learned, and answers the row as it now stands (for the answer). */
  async function record(row: DestinationRow, facts: Parameters<DestinationInspections['record']>[3]) {
    const at = new Date();
    const recorded = await deps.inspections.record(row.tenantId, row.id, row.updatedAt, facts, at);
    if (!recorded) return row;
    const open = facts.trustPolicyOpen;
    return {
      ...row,
      inspectedAt: at,
      maxMessageBytes: facts.maxMessageBytes ?? row.maxMessageBytes,
      trustPolicyOpenAt: open === null ? row.trustPolicyOpenAt : open ? (row.trustPolicyOpenAt ?? at) : null,
    };
  }

  return {
    serviceIdentity,

    /**
     * A tenant may not have Sluice assume a role in Sluice's own account. When Sluice cannot
     * learn its account, the role is accepted here and the broker refuses it before any AssumeRole.
     */
    async refuseServiceAccountRole(roleArn: string): Promise<void> {
      const me = await serviceIdentity();
      if (!me || accountOfArn(roleArn) !== me.account) return;
      throw badRequest('The role is in Sluice’s own AWS account.', [
        {
          path: 'auth.roleArn',
          message: `is in Sluice's own AWS account (${me.account}); name a role in your own AWS account that trusts Sluice`,
        },
      ]);
    },

    /**
     * Reads the destination's attributes and checks its role, within INSPECTION_TIMEOUT_MS; a
     * role that does not trust Sluice yet (the usual case at create) only leaves them unknown.
     */
    async inspect(row: DestinationRow): Promise<DestinationRow> {
      const facts = await inspectStoredDestination(row, {
        resolver: deps.resolver,
        broker: deps.aws.broker,
        timeoutMs: INSPECTION_TIMEOUT_MS,
      });
      return facts ? record(row, facts) : row;
    },

    /** The test endpoint's checks; what they learned is stored (an open role is held, a fixed one released). */
    async test(row: DestinationRow) {
      let resolved: ReturnType<DestinationResolver['resolve']>;
      try {
        // The test is how a tenant shows a fixed trust policy: it runs whatever was found before.
        resolved = deps.resolver.resolve({ ...row, trustPolicyOpenAt: null });
      } catch (error) {
        if (!(error instanceof UnusableDestinationError)) throw error;
        throw badRequest(`The destination cannot be used: ${error.message}. PATCH auth to fix it.`);
      }
      const result = await testDestination({
        destination: resolved.destination,
        credentials: resolved.send.credentials,
        clients: deps.aws.clients,
        broker: deps.aws.broker,
        tenantId: row.tenantId,
        destinationId: row.id,
        customerExternalId: row.customerExternalId,
      });
      await record(row, {
        maxMessageBytes: result.maxMessageBytes,
        trustPolicyOpen: trustPolicyOpenOf(result.wrongExternalId),
      });
      const { maxMessageBytes: _learned, wrongExternalId: _checked, ...answer } = result;
      return answer;
    },
  };
}

export type DestinationAwsChecks = ReturnType<typeof createDestinationAwsChecks>;
