/** The rows a call may touch: one tenant's, or only one customer's of it (a portal token's). */
export interface TenantScope {
  tenantId: string;
  customerExternalId?: string | undefined;
}
