import type { Executor } from '../client.ts';

export interface DestinationRef {
  tenantId: string;
  destinationId: string;
}

const refs = (rows: { tenant_id: string; id: string }[]): DestinationRef[] =>
  rows.map((row) => ({ tenantId: row.tenant_id, destinationId: row.id }));

/** What PostgreSQL says is outstanding, for the due-work poller and the sweeper (never Redis). */
export function createDueWork(ex: Executor) {
  return {
    /**
     * Destinations that may send now (not paused, disabled, deleted or regrouping) and have due
     * work, longest-waiting first: one index probe per destination into the queue and one into
     * its FIFO groups, so the cost follows the number of destinations, not of due rows.
     */
    async dueDestinations(limit: number): Promise<DestinationRef[]> {
      const result = await ex.query<{ tenant_id: string; id: string }>({
        name: 'due-destinations',
        text: `select dst.id, dst.tenant_id from destinations dst
               cross join lateral (
                 select least(
                   (select q.due_at from delivery_queue q
                    where q.destination_id = dst.id and q.ordering_key is null and q.due_at <= now()
                    order by q.due_at limit 1),
                   (select g.due_at from fifo_groups g
                    where g.destination_id = dst.id and g.due_at <= now() order by g.due_at limit 1)
                 ) as due_at
               ) due
               where dst.deleted_at is null and dst.enabled and dst.paused_at is null and dst.regrouping_at is null
                 and due.due_at is not null
               order by due.due_at
               limit $1`,
        values: [limit],
      });
      return refs(result.rows);
    },

    /** Deleted destinations that still have deliveries in line: their backlog goes to the DLQ. */
    async deletedWithBacklog(limit: number): Promise<DestinationRef[]> {
      const result = await ex.query<{ tenant_id: string; id: string }>(
        `select dst.id, dst.tenant_id from destinations dst
         where dst.deleted_at is not null and exists (select 1 from delivery_queue q where q.destination_id = dst.id)
         limit $1`,
        [limit],
      );
      return refs(result.rows);
    },

    /**
     * Destinations still marked regrouping: their drains claim nothing until the regroup job ends,
     * so a job that was lost (Redis flushed, or down when the PATCH tried to enqueue it) is started again.
     */
    async regrouping(limit: number): Promise<DestinationRef[]> {
      const result = await ex.query<{ tenant_id: string; id: string }>(
        `select id, tenant_id from destinations where regrouping_at is not null and deleted_at is null
         order by regrouping_at limit $1`,
        [limit],
      );
      return refs(result.rows);
    },

    /** Disabled destinations holding deliveries past their retry window (not behind a held group): those go to the DLQ. */
    async disabledWithExpired(limit: number): Promise<DestinationRef[]> {
      const result = await ex.query<{ tenant_id: string; id: string }>(
        `select dst.id, dst.tenant_id from destinations dst
         where dst.deleted_at is null and not dst.enabled
           and exists (
             select 1 from delivery_queue q where q.destination_id = dst.id and q.expires_at <= now()
               and not exists (select 1 from fifo_groups g where g.destination_id = q.destination_id
                                 and g.ordering_key = q.ordering_key and g.held_at is not null)
           )
         limit $1`,
        [limit],
      );
      return refs(result.rows);
    },
  };
}

export type DueWork = ReturnType<typeof createDueWork>;
