/**
 * Every call the console and the portal make to the Sluice API, in one module (a generated SDK
 * is to replace it). The console is authenticated by its HttpOnly session cookie and sends the
 * CSRF header; the portal by a token it holds in memory only.
 */

export interface FieldError {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly errors: FieldError[],
  ) {
    super(detail);
  }
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface ConsoleSession {
  kind: 'operator' | 'tenant';
  tenantId: string | null;
  tenantName: string | null;
  expiresAt: string;
}

export interface Tenant {
  id: string;
  name: string;
  createdAt: string;
  portal: { frameAncestors: string[] };
}

export interface ApiKey {
  id: string;
  name: string;
  scopes: string[];
  createdAt: string;
  revokedAt: string | null;
  key?: string;
}

export type DestinationType = 'sqs' | 'sns' | 'kinesis';

export interface Destination {
  id: string;
  name: string;
  customerExternalId: string;
  type: DestinationType;
  config: Record<string, unknown>;
  auth:
    | { mode: 'assume_role'; roleArn: string; externalId: string }
    | { mode: 'access_key'; accessKeyId: string; secretHint: string };
  eventTypes: string[] | null;
  enabled: boolean;
  status: 'active' | 'paused' | 'disabled';
  health?: { state: string; since: string | null; detail: string | null };
  alerts?: AlertRules;
  createdAt: string;
}

export type AlertRule = 'dlqOpenAbove' | 'oldestPendingSecondsAbove' | 'failingForSeconds';
export type AlertRules = Record<AlertRule, number | null>;

export interface Alert {
  id: string;
  state: 'open' | 'resolved';
  destinationId: string;
  destinationName: string;
  customerExternalId: string;
  rule: AlertRule;
  value: number;
  threshold: number;
  since: string;
}

export interface DestinationInput {
  name: string;
  customerExternalId: string;
  type: DestinationType;
  config: Record<string, unknown>;
  auth: { mode: 'assume_role'; roleArn: string };
  eventTypes?: string[] | null;
}

export interface DestinationSetup {
  principal: string;
  externalId: string | null;
  roleName: string | null;
  trustPolicy: Record<string, unknown> | null;
  permissionsPolicy: Record<string, unknown>;
  cloudFormationTemplate: string | null;
}

export interface TestResult {
  ok: boolean;
  latencyMs: number;
  checks: { name: string; ok: boolean; detail: string }[];
  error?: { code: string; message: string };
}

export interface LastError {
  code: string;
  message: string;
  at: string;
}

export interface Delivery {
  id: string;
  eventId: string;
  destinationId: string;
  status: 'pending' | 'delivered' | 'dead' | 'discarded';
  attempts: number;
  lastError: LastError | null;
  deliveredAt: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
}

export interface Attempt {
  n: number;
  at: string;
  durationMs: number;
  outcome: string;
  errorCode?: string;
  errorMessage?: string;
  providerMessageId?: string;
}

export interface SluiceEvent {
  id: string;
  eventType: string;
  occurredAt: string;
  receivedAt: string;
  source: string;
  customerExternalId: string;
  idempotencyKey: string;
  payload: Record<string, unknown>;
  deliveries?: { id: string; destinationId: string; status: string }[];
}

export interface DlqEntry {
  id: string;
  deliveryId: string;
  eventId: string;
  destinationId: string;
  tenantId: string;
  customerExternalId: string;
  eventType: string;
  reason: string;
  lastError: LastError | null;
  attempts: number;
  createdAt: string;
  replayCount: number;
}

export interface DlqFilters {
  destinationId?: string;
  customerExternalId?: string;
  eventType?: string;
  reason?: string;
  tenantId?: string;
}

export interface BulkReplay {
  replayId: string;
  status: 'running' | 'done';
  total: number;
  replayed: number;
  failed: number;
}

export interface Stats {
  interval: 'minute' | 'hour';
  series: {
    at: string;
    delivered: number;
    retried: number;
    dead: number;
    latencyP50Ms: number | null;
    latencyP99Ms: number | null;
  }[];
  pending: number;
  oldestPendingAt: string | null;
  dlqOpen: number;
}

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

type Query = Record<string, string | number | undefined>;

function withQuery(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function call<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (bearerToken) headers.authorization = `Bearer ${bearerToken}`;
  else headers['x-sluice-csrf'] = '1';
  const response = await fetch(withQuery(path, query), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const json: unknown = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    const problem = (json ?? {}) as { code?: string; detail?: string; errors?: FieldError[] };
    throw new ApiError(
      response.status,
      problem.code ?? 'error',
      problem.detail ?? `The API answered ${response.status}.`,
      problem.errors ?? [],
    );
  }
  return json as T;
}

const id = encodeURIComponent;
const dlqBase = () => (operator ? '/v1/admin/dlq' : '/v1/dlq');

export const api = {
  session: {
    current: () => call<ConsoleSession>('GET', '/v1/console/session'),
    signIn: (key: string) => call<ConsoleSession>('POST', '/v1/console/session', { key }),
    signOut: () => call<void>('DELETE', '/v1/console/session'),
  },
  portal: {
    exchange: (code: string) =>
      call<{ token: string; expiresAt: string; customerExternalId: string }>('POST', '/v1/portal/exchange', { code }),
    open: (customerExternalId: string) =>
      call<{ url: string; token: string; expiresAt: string }>('POST', '/v1/portal/sessions', { customerExternalId }),
    revoke: (customerExternalId: string) =>
      call<void>('DELETE', '/v1/portal/sessions', undefined, { customerExternalId }),
  },
  tenants: {
    list: (cursor?: string) => call<Page<Tenant>>('GET', '/v1/admin/tenants', undefined, { cursor, limit: 20 }),
    create: (name: string) => call<Tenant>('POST', '/v1/admin/tenants', { name }),
    update: (tenantId: string, body: { portal: { frameAncestors: string[] } }) =>
      call<Tenant>('PATCH', `/v1/admin/tenants/${id(tenantId)}`, body),
    keys: (tenantId: string, cursor?: string) =>
      call<Page<ApiKey>>('GET', `/v1/admin/tenants/${id(tenantId)}/api-keys`, undefined, { cursor, limit: 20 }),
    createKey: (tenantId: string, body: { name: string; scopes: string[] }) =>
      call<ApiKey>('POST', `/v1/admin/tenants/${id(tenantId)}/api-keys`, body),
    revokeKey: (keyId: string) => call<void>('DELETE', `/v1/admin/api-keys/${id(keyId)}`),
  },
  destinations: {
    list: (cursor?: string) => call<Page<Destination>>('GET', '/v1/destinations', undefined, { cursor, limit: 20 }),
    get: (destinationId: string) => call<Destination>('GET', `/v1/destinations/${id(destinationId)}`),
    create: (body: DestinationInput) => call<Destination>('POST', '/v1/destinations', body),
    update: (destinationId: string, body: Partial<DestinationInput>) =>
      call<Destination>('PATCH', `/v1/destinations/${id(destinationId)}`, body),
    remove: (destinationId: string) => call<void>('DELETE', `/v1/destinations/${id(destinationId)}`),
    setup: (destinationId: string) => call<DestinationSetup>('GET', `/v1/destinations/${id(destinationId)}/setup`),
    test: (destinationId: string) => call<TestResult>('POST', `/v1/destinations/${id(destinationId)}/test`),
    pause: (destinationId: string) => call<Destination>('POST', `/v1/destinations/${id(destinationId)}/pause`),
    resume: (destinationId: string) => call<Destination>('POST', `/v1/destinations/${id(destinationId)}/resume`),
  },
  deliveries: {
    list: (query: { destinationId?: string; status?: string; cursor?: string }) =>
      call<Page<Delivery>>('GET', '/v1/deliveries', undefined, { ...query, limit: 25 }),
    get: (deliveryId: string) => call<Delivery & { attemptLog: Attempt[] }>('GET', `/v1/deliveries/${id(deliveryId)}`),
  },
  events: {
    get: (eventId: string) => call<SluiceEvent>('GET', `/v1/events/${id(eventId)}`),
    list: (query: { customerExternalId?: string; eventType?: string; idempotencyKey?: string; cursor?: string }) =>
      call<Page<SluiceEvent>>('GET', '/v1/events', undefined, { ...query, limit: 25 }),
  },
  dlq: {
    list: (filters: DlqFilters, cursor?: string) =>
      call<Page<DlqEntry>>('GET', dlqBase(), undefined, { ...filters, cursor, limit: 25 }),
    replay: (entryId: string) => call<{ deliveryId: string }>('POST', `${dlqBase()}/${id(entryId)}/replay`),
    discard: (entryId: string) => call<void>('POST', `${dlqBase()}/${id(entryId)}/discard`),
    replayMatching: (filters: DlqFilters) =>
      call<{ replayId: string; total: number }>('POST', `${dlqBase()}/replay`, filters),
    replayStatus: (replayId: string) => call<BulkReplay>('GET', `${dlqBase()}/replays/${id(replayId)}`),
  },
  alerts: {
    open: (query: { destinationId?: string; cursor?: string }) =>
      call<Page<Alert>>('GET', '/v1/alerts', undefined, { ...query, limit: 25 }),
  },
  stats: {
    read: (query: { destinationId?: string; interval?: 'minute' | 'hour'; tenantId?: string }) =>
      call<Stats>('GET', operator ? '/v1/admin/stats' : '/v1/stats', undefined, query),
  },
};
