import { and, asc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { type DestinationRow, destinations } from '../schema/destinations.ts';

/**
 * What Sluice learned about destinations from AWS (their size limit, whether their role is open
 * to any ExternalId), and which destinations the worker should inspect next. None of this is
 * an edit: the destination's version (updatedAt) stays, and a fact about an older version is
 * dropped (a PATCH meanwhile changed what it describes).
 */

export interface InspectionFacts {
  /** null: could not be read this time; what is stored stays. */
  maxMessageBytes: number | null;
  /** null: not a role, or could not be checked this time; what is stored stays. */
  trustPolicyOpen: boolean | null;
}

export interface InspectionSchedule {
  /** Facts fully known are read again after this long. */
  refreshAfterMs: number;
  /** Facts not known yet (a role not trusted yet), or a role found open, are tried again sooner. */
  retryAfterMs: number;
}

export function createDestinationInspections({ db }: Executor) {
  return {
    /** Records an inspection of `version` of the destination; false when it changed meanwhile. */
    async record(
      tenantId: string,
      id: string,
      version: Date,
      facts: InspectionFacts,
      at: Date = new Date(),
    ): Promise<boolean> {
      const open = facts.trustPolicyOpen;
      const updated = await db
        .update(destinations)
        .set({
          inspectedAt: at,
          ...(facts.maxMessageBytes !== null ? { maxMessageBytes: facts.maxMessageBytes } : {}),
          ...(open === null
            ? {}
            : { trustPolicyOpenAt: open ? sql`coalesce(${destinations.trustPolicyOpenAt}, ${at})` : null }),
        })
        .where(
          and(
            eq(destinations.tenantId, tenantId),
            eq(destinations.id, id),
            isNull(destinations.deletedAt),
            // PostgreSQL keeps microseconds; the version read back in JavaScript has milliseconds.
            sql`date_trunc('milliseconds', ${destinations.updatedAt}) = ${version}`,
          ),
        )
        .returning({ id: destinations.id });
      return updated.length > 0;
    },

    /**
     * The destinations due for inspection, never inspected first. Across tenants: it is the
     * worker's maintenance pass, not a tenant's request (a query that does not name the tenant).
     */
    async listDue(limit: number, schedule: InspectionSchedule, now: Date = new Date()): Promise<DestinationRow[]> {
      const refreshBefore = new Date(now.getTime() - schedule.refreshAfterMs);
      const retryBefore = new Date(now.getTime() - schedule.retryAfterMs);
      const unsettled = or(isNull(destinations.maxMessageBytes), sql`${destinations.trustPolicyOpenAt} is not null`);
      return db
        .select()
        .from(destinations)
        .where(
          and(
            isNull(destinations.deletedAt),
            or(
              isNull(destinations.inspectedAt),
              lt(destinations.inspectedAt, refreshBefore),
              and(unsettled, lt(destinations.inspectedAt, retryBefore)),
            ),
          ),
        )
        .orderBy(sql`${destinations.inspectedAt} asc nulls first`, asc(destinations.id))
        .limit(limit);
    },
  };
}

export type DestinationInspections = ReturnType<typeof createDestinationInspections>;
