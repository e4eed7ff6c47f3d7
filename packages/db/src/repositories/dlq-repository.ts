import { and, desc, eq, gte, inArray, lte, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { newId } from '../ids.ts';
import { afterCursor, type PageRequest, toPage } from '../pagination.ts';
import { deliveries } from '../schema/deliveries.ts';
import { type DlqReason, dlqAudit, dlqEntries, dlqReplays } from '../schema/dlq.ts';

/**
 * Whose dead letters a call may touch: one tenant's (its admin key), or every tenant's
 * (the operator), optionally narrowed to one. Every query below applies it.
 */
export type DlqScope =
  /** customerExternalId: a portal token's calls, which see only that customer's entries. */
  { tenantId: string; customerExternalId?: string | undefined } | { allTenants: true; tenantId?: string | undefined };

export interface DlqFilters {
  destinationId?: string | undefined;
  customerExternalId?: string | undefined;
  eventType?: string | undefined;
  reason?: DlqReason | undefined;
  from?: string | undefined;
  to?: string | undefined;
  holdsGroup?: 'true' | 'false' | undefined;
}

export interface DlqActor {
  kind: 'operator' | 'api_key' | 'portal_token';
  keyId?: string | undefined;
}

/** An entry a replay found and locked, with what decides whether it can be replayed. */
export interface ReplayCandidate {
  entryId: string;
  deliveryId: string;
  tenantId: string;
  destinationId: string;
  destinationDeleted: boolean;
  destinationEnabled: boolean;
  /** The dead delivery holds its FIFO group: a replay puts it back at its own turn. */
  holdsGroup: boolean;
}

const listed = inArray(dlqEntries.state, ['open', 'replaying']);

function scoped(scope: DlqScope): SQL | undefined {
  if ('allTenants' in scope) return scope.tenantId ? eq(dlqEntries.tenantId, scope.tenantId) : undefined;
  return and(
    eq(dlqEntries.tenantId, scope.tenantId),
    scope.customerExternalId === undefined ? undefined : eq(dlqEntries.customerExternalId, scope.customerExternalId),
  );
}

const customerOf = (scope: DlqScope) => ('allTenants' in scope ? null : (scope.customerExternalId ?? null));

/** The list filters as SQL, within the scope. */
export function dlqFilterSql(scope: DlqScope, filters: DlqFilters): SQL | undefined {
  return and(
    scoped(scope),
    listed,
    filters.destinationId ? eq(dlqEntries.destinationId, filters.destinationId) : undefined,
    filters.customerExternalId ? eq(dlqEntries.customerExternalId, filters.customerExternalId) : undefined,
    filters.eventType ? eq(dlqEntries.eventType, filters.eventType) : undefined,
    filters.reason ? eq(dlqEntries.reason, filters.reason) : undefined,
    filters.from ? gte(dlqEntries.createdAt, new Date(filters.from)) : undefined,
    filters.to ? lte(dlqEntries.createdAt, new Date(filters.to)) : undefined,
    filters.holdsGroup ? eq(dlqEntries.holdsGroup, filters.holdsGroup === 'true') : undefined,
  );
}

export function createDlqRepository(ex: Executor) {
  return {
    async list(scope: DlqScope, filters: DlqFilters, page: PageRequest) {
      const rows = await ex.db
        .select()
        .from(dlqEntries)
        .where(and(dlqFilterSql(scope, filters), afterCursor(dlqEntries.id, page)))
        .orderBy(desc(dlqEntries.id))
        .limit(page.limit + 1);
      return toPage(rows, page.limit, (row) => row);
    },

    async get(scope: DlqScope, id: string) {
      const [row] = await ex.db
        .select()
        .from(dlqEntries)
        .where(and(scoped(scope), eq(dlqEntries.id, id)));
      return row;
    },

    /**
     * Locks the entries that can be replayed now (open, of a dead delivery), in turn order. A
     * delivery in flight is never locked here, so replays cannot deadlock with outcome writes.
     */
    async lockReplayable(tx: Executor, scope: DlqScope, entryIds: string[]): Promise<ReplayCandidate[]> {
      if (entryIds.length === 0) return [];
      const tenantId = 'allTenants' in scope ? (scope.tenantId ?? null) : scope.tenantId;
      const result = await tx.query<{
        entry_id: string;
        delivery_id: string;
        tenant_id: string;
        destination_id: string;
        deleted: boolean;
        enabled: boolean;
        holds_group: boolean;
      }>({
        name: 'dlq-lock-replayable',
        text: `select q.id as entry_id, q.delivery_id, q.tenant_id, d.destination_id,
                      dst.deleted_at is not null as deleted, dst.enabled, q.holds_group
               from dlq_entries q
               join deliveries d on d.id = q.delivery_id
               join destinations dst on dst.id = d.destination_id
               where q.id = any($1::uuid[]) and ($2::uuid is null or q.tenant_id = $2)
                 and ($3::text is null or q.customer_external_id = $3)
                 and q.state = 'open' and d.status = 'dead'
               order by d.order_seq
               for update of q, d`,
        values: [entryIds, tenantId, customerOf(scope)],
      });
      return result.rows.map((row) => ({
        entryId: row.entry_id,
        deliveryId: row.delivery_id,
        tenantId: row.tenant_id,
        destinationId: row.destination_id,
        destinationDeleted: row.deleted,
        destinationEnabled: row.enabled,
        holdsGroup: row.holds_group,
      }));
    },

    async markReplaying(tx: Executor, entryIds: string[]): Promise<void> {
      if (entryIds.length === 0) return;
      await tx.db
        .update(dlqEntries)
        .set({ state: 'replaying', updatedAt: new Date() })
        .where(inArray(dlqEntries.id, entryIds));
    },

    /** The entry leaves the list and its dead delivery becomes discarded; false when no such open entry. */
    async discard(tx: Executor, scope: DlqScope, id: string): Promise<boolean> {
      const [entry] = await tx.db
        .update(dlqEntries)
        .set({ state: 'discarded', updatedAt: new Date() })
        .where(and(scoped(scope), eq(dlqEntries.id, id), eq(dlqEntries.state, 'open')))
        .returning({ deliveryId: dlqEntries.deliveryId });
      if (!entry) return false;
      // Only a dead delivery becomes discarded; nothing else touches it while the entry is open.
      await tx.db
        .update(deliveries)
        .set({ status: 'discarded', updatedAt: new Date() })
        .where(and(eq(deliveries.id, entry.deliveryId), eq(deliveries.status, 'dead')));
      return true;
    },

    async audit(
      tx: Executor,
      entry: {
        tenantId: string | null;
        actor: DlqActor;
        action: 'replay' | 'discard' | 'bulk_replay';
        entryId?: string;
        replayId?: string;
        filter?: Record<string, unknown>;
      },
    ): Promise<void> {
      await tx.db.insert(dlqAudit).values({
        id: newId(),
        tenantId: entry.tenantId,
        actorKind: entry.actor.kind,
        actorKeyId: entry.actor.keyId ?? null,
        action: entry.action,
        entryId: entry.entryId ?? null,
        replayId: entry.replayId ?? null,
        filter: entry.filter ?? null,
      });
    },

    async getReplay(scope: DlqScope, id: string) {
      const [row] = await ex.db
        .select()
        .from(dlqReplays)
        .where(
          and(
            eq(dlqReplays.id, id),
            'allTenants' in scope ? undefined : eq(dlqReplays.tenantId, scope.tenantId),
            // A portal token's bulk replays are filtered by its customer, so their filter names it.
            customerOf(scope) === null
              ? undefined
              : sql`${dlqReplays.filter}->>'customerExternalId' = ${customerOf(scope)}`,
          ),
        );
      return row;
    },
  };
}

export type DlqRepository = ReturnType<typeof createDlqRepository>;
