import type { CredentialBroker } from '@sluice/aws/credentials';
import type { DestinationInspections, InspectionSchedule } from '@sluice/db/repositories/destination-inspections';
import type { DestinationRow } from '@sluice/db/schema/destinations';
import { inspectStoredDestination } from '@sluice/destinations/destination-inspection';
import type { DestinationResolver } from '@sluice/destinations/resolver';
import type { Logger } from '@sluice/logger/logger';
import { createPeriodicTask } from './periodic-task.ts';

/**
 * Keeps what Sluice knows of each destination current: its size limit (a queue's
 * MaximumMessageSize can change, and is unknown until its role trusts Sluice) and whether its
 * role refuses other ExternalIds (a role found open holds its deliveries; a fixed one releases
 * them). Each pass inspects a bounded batch, those inspected longest ago first.
 */

export interface InspectorOptions extends InspectionSchedule {
  intervalMs: number;
  firstRunMs: number;
  /** Destinations inspected per pass. */
  batchSize: number;
  /** Inspections in flight at once (each is an AssumeRole and an attributes read). */
  concurrency: number;
  timeoutMs: number;
}

export const defaultInspectorOptions: InspectorOptions = {
  intervalMs: 30_000,
  firstRunMs: 5_000,
  batchSize: 50,
  concurrency: 4,
  timeoutMs: 10_000,
  refreshAfterMs: 60 * 60_000,
  retryAfterMs: 5 * 60_000,
};

export interface InspectionPass {
  inspected: number;
  /** Destinations whose role was found open to any ExternalId. */
  open: number;
}

export function createDestinationInspector(deps: {
  inspections: DestinationInspections;
  resolver: Pick<DestinationResolver, 'resolve'>;
  broker: Pick<CredentialBroker, 'checkExternalId'>;
  logger: Logger;
  options?: Partial<InspectorOptions>;
}) {
  const options = { ...defaultInspectorOptions, ...deps.options };

  async function inspectOne(row: DestinationRow): Promise<boolean> {
    const facts = await inspectStoredDestination(row, { ...deps, timeoutMs: options.timeoutMs });
    // An unusable destination has nothing to teach until it is fixed: its next look is a refresh away.
    await deps.inspections.record(
      row.tenantId,
      row.id,
      row.updatedAt,
      facts ?? { maxMessageBytes: null, trustPolicyOpen: null },
    );
    const open = facts?.trustPolicyOpen ?? null;
    const log = { tenantId: row.tenantId, destinationId: row.id };
    if (open && !row.trustPolicyOpenAt) deps.logger.warn(log, 'role accepts any ExternalId: holding its deliveries');
    if (open === false && row.trustPolicyOpenAt)
      deps.logger.info(log, 'role trust policy fixed: releasing its deliveries');
    return open === true;
  }

  async function inspectOnce(): Promise<InspectionPass> {
    const due = await deps.inspections.listDue(options.batchSize, options);
    let next = 0;
    let open = 0;
    const lane = async () => {
      for (let row = due[next++]; row; row = due[next++]) {
        try {
          if (await inspectOne(row)) open += 1;
        } catch (error) {
          deps.logger.warn({ err: error, destinationId: row.id }, 'destination inspection failed');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency, due.length) }, lane));
    return { inspected: due.length, open };
  }

  return createPeriodicTask({
    name: 'destination inspection',
    intervalMs: options.intervalMs,
    firstRunMs: options.firstRunMs,
    run: inspectOnce,
    logger: deps.logger,
  });
}
