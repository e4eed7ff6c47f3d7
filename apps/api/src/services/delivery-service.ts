import type { PageRequest } from '@sluice/db/pagination';
import type { DeliveriesRepository, DeliveryFilters } from '@sluice/db/repositories/deliveries-repository';
import type { DeliveryRow } from '@sluice/db/schema/deliveries';
import { notFound } from '@sluice/errors/app-error';
import { toAttemptLog, toDeliveryView } from '../views/records.ts';

/** Deliveries as clients read them: the row, when a pending one is due next, and its attempt log. */
export function createDeliveryService(deps: { deliveries: DeliveriesRepository }) {
  async function withNextAttempt(rows: DeliveryRow[]) {
    const due = await deps.deliveries.nextAttemptAt(rows.filter((row) => row.status === 'pending'));
    return rows.map((row) => toDeliveryView(row, due.get(row.id)));
  }

  return {
    async list(tenantId: string, filters: DeliveryFilters, page: PageRequest) {
      const result = await deps.deliveries.list(tenantId, filters, page);
      return { data: await withNextAttempt(result.data), nextCursor: result.nextCursor };
    },

    async get(tenantId: string, id: string, customerExternalId?: string) {
      const row = await deps.deliveries.get(tenantId, id, customerExternalId);
      if (!row) throw notFound('Delivery');
      const [view] = await withNextAttempt([row]);
      return { ...view!, attemptLog: toAttemptLog(row, await deps.deliveries.failedAttempts(row.id)) };
    },
  };
}

export type DeliveryService = ReturnType<typeof createDeliveryService>;
