import { createSluice } from '@sluice/sdk';
import type { OperationInput } from '@sluice/sdk/types';

/**
 * Every call the console and the portal make to the Sluice API, through @sluice/sdk. The console
 * is authenticated by its HttpOnly session cookie (same-origin fetch) and sends the CSRF header;
 * the portal by a token it holds in memory only, handed to the SDK by a function.
 */

export { SluiceProblem } from '@sluice/sdk';
export type {
  Alert,
  AlertRule,
  AlertRules,
  ApiKey,
  Attempt,
  ConsoleSession,
  CreatedApiKey,
  Delivery,
  Destination,
  DestinationHealth as Health,
  DestinationSetup,
  DestinationTestResult as TestResult,
  DestinationType,
  DlqEntry,
  DlqReplay as BulkReplay,
  EventWithDeliveries,
  FieldError,
  Page,
  SluiceEvent,
  Stats,
  Tenant,
} from '@sluice/sdk/types';

export type DlqFilters = Omit<NonNullable<OperationInput<'adminListDlqEntries'>['query']>, 'limit' | 'cursor'>;
export type ApiKeyScope = OperationInput<'createApiKey'>['body']['scopes'][number];
type DestinationCreate = OperationInput<'createDestination'>['body'];
type DestinationUpdate = OperationInput<'updateDestination'>['body'];

let bearerToken: string | undefined;
/** The portal's token, kept in this module's memory only (never in storage). */
export function setBearerToken(token: string) {
  bearerToken = token;
}

/** The operator reaches dead letters and stats under /v1/admin. */
let operator = false;
export function setOperatorRoutes(on: boolean) {
  operator = on;
}

// Same origin: the pages are served by the API. The CSRF header is harmless on bearer requests.
const sluice = createSluice({ apiKey: () => bearerToken, headers: { 'x-sluice-csrf': '1' } });

/** The tenant's routes take no tenantId filter. */
const tenantFilters = ({ tenantId: _tenantId, ...filters }: DlqFilters) => filters;

export const api = {
  session: {
    current: () => sluice.getConsoleSession(),
    signIn: (key: string) => sluice.createConsoleSession({ body: { key } }),
    signOut: () => sluice.deleteConsoleSession(),
  },
  portal: {
    exchange: (code: string) => sluice.exchangePortalCode({ body: { code } }),
    open: (customerExternalId: string) => sluice.createPortalSession({ body: { customerExternalId } }),
    revoke: (customerExternalId: string) => sluice.revokePortalSessions({ query: { customerExternalId } }),
  },
  tenants: {
    list: (cursor?: string) => sluice.listTenants({ query: { cursor, limit: 20 } }),
    create: (name: string) => sluice.createTenant({ body: { name } }),
    update: (tenantId: string, body: { portal: { frameAncestors: string[] } }) =>
      sluice.updateTenant({ path: { tenantId }, body }),
    keys: (tenantId: string, cursor?: string) =>
      sluice.listApiKeys({ path: { tenantId }, query: { cursor, limit: 20 } }),
    createKey: (tenantId: string, body: { name: string; scopes: ApiKeyScope[] }) =>
      sluice.createApiKey({ path: { tenantId }, body }),
    revokeKey: (keyId: string) => sluice.revokeApiKey({ path: { keyId } }),
  },
  destinations: {
    list: (cursor?: string) => sluice.listDestinations({ query: { cursor, limit: 20 } }),
    get: (id: string) => sluice.getDestination({ path: { id } }),
    create: (body: DestinationCreate) => sluice.createDestination({ body }),
    update: (id: string, body: DestinationUpdate) => sluice.updateDestination({ path: { id }, body }),
    remove: (id: string) => sluice.deleteDestination({ path: { id } }),
    setup: (id: string) => sluice.getDestinationSetup({ path: { id } }),
    test: (id: string) => sluice.testDestination({ path: { id } }),
    pause: (id: string) => sluice.pauseDestination({ path: { id } }),
    resume: (id: string) => sluice.resumeDestination({ path: { id } }),
  },
  deliveries: {
    list: (query: Omit<NonNullable<OperationInput<'listDeliveries'>['query']>, 'limit'>) =>
      sluice.listDeliveries({ query: { ...query, limit: 25 } }),
    get: (id: string) => sluice.getDelivery({ path: { id } }),
  },
  events: {
    get: (id: string) => sluice.getEvent({ path: { id } }),
    // Empty form fields filter nothing (an empty value would be a 400).
    list: (query: { customerExternalId?: string; eventType?: string; idempotencyKey?: string; cursor?: string }) =>
      sluice.listEvents({
        query: {
          customerExternalId: query.customerExternalId || undefined,
          eventType: query.eventType || undefined,
          idempotencyKey: query.idempotencyKey || undefined,
          cursor: query.cursor,
          limit: 25,
        },
      }),
  },
  dlq: {
    list: (filters: DlqFilters, cursor?: string) =>
      operator
        ? sluice.adminListDlqEntries({ query: { ...filters, cursor, limit: 25 } })
        : sluice.listDlqEntries({ query: { ...tenantFilters(filters), cursor, limit: 25 } }),
    replay: (id: string) =>
      operator ? sluice.adminReplayDlqEntry({ path: { id } }) : sluice.replayDlqEntry({ path: { id } }),
    discard: (id: string) =>
      operator ? sluice.adminDiscardDlqEntry({ path: { id } }) : sluice.discardDlqEntry({ path: { id } }),
    replayMatching: (filters: DlqFilters) =>
      operator
        ? sluice.adminStartDlqReplay({ body: filters })
        : sluice.startDlqReplay({ body: tenantFilters(filters) }),
    replayStatus: (replayId: string) =>
      operator ? sluice.adminGetDlqReplay({ path: { replayId } }) : sluice.getDlqReplay({ path: { replayId } }),
  },
  alerts: {
    open: (query: { destinationId?: string; cursor?: string }) => sluice.listAlerts({ query: { ...query, limit: 25 } }),
  },
  stats: {
    read: (query: { destinationId?: string; interval?: 'minute' | 'hour'; tenantId?: string }) => {
      const { tenantId, ...tenantQuery } = query;
      return operator ? sluice.adminGetStats({ query }) : sluice.getStats({ query: tenantQuery });
    },
  },
};
