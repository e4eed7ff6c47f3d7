import type { PageRequest } from '@sluice/db/pagination';
import type { AlertFilters, AlertsRepository } from '@sluice/db/repositories/alerts-repository';
import type { TenantScope } from './tenant-scope.ts';

/** Open alerts as clients read them; a portal token sees only its customer's. */
export function createAlertService(deps: { alerts: Pick<AlertsRepository, 'listOpen'> }) {
  return {
    async listOpen(scope: TenantScope, filters: AlertFilters, page: PageRequest) {
      const own = scope.customerExternalId;
      // Another customer's alerts read as none, as its resources are 404 to a portal token.
      if (own !== undefined && filters.customerExternalId !== undefined && filters.customerExternalId !== own) {
        return { data: [], nextCursor: null };
      }
      const result = await deps.alerts.listOpen(
        scope.tenantId,
        { ...filters, customerExternalId: own ?? filters.customerExternalId },
        page,
      );
      return {
        data: result.data.map((alert) => ({
          id: alert.id,
          state: alert.state,
          destinationId: alert.destinationId,
          destinationName: alert.destinationName,
          customerExternalId: alert.customerExternalId,
          rule: alert.rule,
          value: alert.value,
          threshold: alert.threshold,
          since: alert.openedAt.toISOString(),
          resolvedAt: alert.resolvedAt?.toISOString() ?? null,
        })),
        nextCursor: result.nextCursor,
      };
    },
  };
}

export type AlertService = ReturnType<typeof createAlertService>;
