import { and, desc, eq, gte, inArray, lte, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../client.ts';
import { isId, newId } from '../ids.ts';
import { afterCursor, type PageRequest, toPage } from '../pagination.ts';
import { type DlqReason, dlqAudit, dlqEntries, dlqReplays } from '../schema.ts';

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
}

export interface DlqActor {
  kind: 'operator' | 'api_key' | 'portal_token';
  keyId?: string | undefined;
}

export type ReplayOutcome =
  | { entryId: string; status: 'replayed'; deliveryId: string }
  | { entryId: string; status: 'not_open' | 'destination_deleted' | 'destination_disabled' };

const listed = inArray(dlqEntries.state, ['open', 'replaying']);

function scoped(scope: DlqScope): SQL | undefined {
  if ('allTenants' in scope) return scope.tenantId ? eq(dlqEntries.tenantId, scope.tenantId) : undefined;
  return and(
    eq(dlqEntries.tenantId, scope.tenantId),
    scope.customerExternalId === undefined ? undefined : eq(dlqEntries.customerExternalId, scope.customerExternalId),
  );
}

const customerOf = (scope: DlqScope) => ('allTenants' in scope ? null : (scope.customerExternalId ?? null));

/** Filters as SQL; ids that cannot exist match nothing rather than erroring. */
export function dlqFilterSql(scope: DlqScope, filters: DlqFilters): SQL | undefined {
  if (
    (filters.destinationId && !isId(filters.destinationId)) ||
    ('allTenants' in scope && scope.tenantId && !isId(scope.tenantId))
  ) {
    return eq(dlqEntries.id, '00000000-0000-0000-0000-000000000000');
  }
  return and(
    scoped(scope),
    listed,
    filters.destinationId ? eq(dlqEntries.destinationId, filters.destinationId) : undefined,
    filters.customerExternalId ? eq(dlqEntries.customerExternalId, filters.customerExternalId) : undefined,
    filters.eventType ? eq(dlqEntries.eventType, filters.eventType) : undefined,
    filters.reason ? eq(dlqEntries.reason, filters.reason) : undefined,
    filters.from ? gte(dlqEntries.createdAt, new Date(filters.from)) : undefined,
    filters.to ? lte(dlqEntries.createdAt, new Date(filters.to)) : undefined,
  );
}

export function createDlqRepository(db: Database) {
  return {
    async list(scope: DlqScope, filters: DlqFilters, page: PageRequest) {
      const rows = await db
        .select()
        .from(dlqEntries)
        .where(and(dlqFilterSql(scope, filters), afterCursor(dlqEntries.id, page)))
        .orderBy(desc(dlqEntries.id))
        .limit(page.limit + 1);
      return toPage(rows, page.limit, (row) => row);
    },

    async get(scope: DlqScope, id: string) {
      if (!isId(id)) return undefined;
      const [row] = await db
        .select()
        .from(dlqEntries)
        .where(and(scoped(scope), eq(dlqEntries.id, id)));
      return row;
    },

    /**
     * Puts dead deliveries back in line, in one transaction: each goes pending again with a
     * new turn at the back of its FIFO group (groups keep their relative order), a fresh round
     * of retries, and the same event, so the same MessageDeduplicationId. Entries whose
     * destination is gone or disabled, or that are no longer open, are reported, not replayed.
     */
    async replay(scope: DlqScope, entryIds: string[], bulk?: { replayId: string }): Promise<ReplayOutcome[]> {
      let ids = entryIds.filter(isId);
      if (ids.length === 0) return [];
      const tenantId = 'allTenants' in scope ? (scope.tenantId ?? null) : scope.tenantId;
      const client = await db.$client.connect();
      try {
        await client.query('begin');
        if (bulk) {
          // A bulk replay's chunk takes its items first: a second run of the same job (a
          // stalled worker, a retry) waits here, then finds them done and counts nothing twice.
          const taken = await client.query<{ entry_id: string }>(
            `update dlq_replay_items set done = true
             where replay_id = $1 and entry_id = any($2::uuid[]) and not done returning entry_id`,
            [bulk.replayId, ids],
          );
          ids = taken.rows.map((row) => row.entry_id);
        }
        // Only entries that can be replayed are locked (an open entry of a dead delivery): a
        // delivery in flight is never locked here, so replays cannot deadlock with outcome writes.
        // A DELETE racing this replay is covered by the sweeper's orphan pass.
        const found = await client.query<{
          entry_id: string;
          delivery_id: string;
          state: string;
          delivery_status: string;
          deleted: boolean;
          enabled: boolean;
        }>(
          `select q.id as entry_id, q.delivery_id, q.state, d.status as delivery_status,
                  dst.deleted_at is not null as deleted, dst.enabled
           from dlq_entries q
           join deliveries d on d.id = q.delivery_id
           join destinations dst on dst.id = d.destination_id
           where q.id = any($1::uuid[]) and ($2::uuid is null or q.tenant_id = $2)
             and ($3::text is null or q.customer_external_id = $3)
             and q.state = 'open' and d.status = 'dead'
           order by d.order_seq
           for update of q, d`,
          [ids, tenantId, customerOf(scope)],
        );
        const outcomes: ReplayOutcome[] = found.rows.map((row) => {
          if (row.state !== 'open' || row.delivery_status !== 'dead')
            return { entryId: row.entry_id, status: 'not_open' };
          if (row.deleted) return { entryId: row.entry_id, status: 'destination_deleted' };
          if (!row.enabled) return { entryId: row.entry_id, status: 'destination_disabled' };
          return { entryId: row.entry_id, status: 'replayed', deliveryId: row.delivery_id };
        });
        const replayed = outcomes.filter((o) => o.status === 'replayed');
        if (replayed.length > 0) {
          await client.query(
            `update deliveries d set
               status = 'pending', next_attempt_at = now(), retry_base = d.attempts, updated_at = now(),
               order_seq = turn.seq,
               expires_at = now() + make_interval(secs => coalesce(dst.retry_max_age_seconds, 86400))
             from (select id, nextval('accept_order') as seq
                   from (select id from deliveries where id = any($1::uuid[]) order by order_seq) ordered) turn,
                  destinations dst
             where d.id = turn.id and dst.id = d.destination_id`,
            [replayed.map((o) => o.deliveryId)],
          );
          await client.query(
            `update dlq_entries set state = 'replaying', updated_at = now() where id = any($1::uuid[])`,
            [replayed.map((o) => o.entryId)],
          );
        }
        if (bulk) {
          // Items whose entry no longer matches (gone from scope) count as failed too.
          await client.query(
            `update dlq_replays set replayed = replayed + $2, failed = failed + $3,
               status = case when exists (select 1 from dlq_replay_items where replay_id = $1 and not done)
                             then status else 'done' end,
               finished_at = case when exists (select 1 from dlq_replay_items where replay_id = $1 and not done)
                                  then finished_at else now() end
             where id = $1`,
            [bulk.replayId, replayed.length, ids.length - replayed.length],
          );
        }
        await client.query('commit');
        return outcomes;
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },

    /** Answers false when there is no such open entry in scope. */
    async discard(scope: DlqScope, id: string): Promise<boolean> {
      if (!isId(id)) return false;
      return db.transaction(async (tx) => {
        const [entry] = await tx
          .update(dlqEntries)
          .set({ state: 'discarded', updatedAt: new Date() })
          .where(and(scoped(scope), eq(dlqEntries.id, id), eq(dlqEntries.state, 'open')))
          .returning({ deliveryId: dlqEntries.deliveryId });
        if (!entry) return false;
        await tx.execute(
          // Only a dead delivery becomes discarded; nothing else touches it while the entry is open.
          sqlDiscardDelivery(entry.deliveryId),
        );
        return true;
      });
    },

    async audit(entry: {
      tenantId: string | null;
      actor: DlqActor;
      action: 'replay' | 'discard' | 'bulk_replay';
      entryId?: string;
      replayId?: string;
      filter?: Record<string, unknown>;
    }): Promise<void> {
      await db.insert(dlqAudit).values({
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

    async auditTrail(scope: DlqScope) {
      return db
        .select()
        .from(dlqAudit)
        .where('allTenants' in scope ? undefined : eq(dlqAudit.tenantId, scope.tenantId))
        .orderBy(desc(dlqAudit.at));
    },

    getReplay: async (scope: DlqScope, id: string) => {
      if (!isId(id)) return undefined;
      const [row] = await db
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

const sqlDiscardDelivery = (deliveryId: string) =>
  sql`update deliveries set status = 'discarded', updated_at = now() where id = ${deliveryId} and status = 'dead'`;

export type DlqRepository = ReturnType<typeof createDlqRepository>;
