import type { components } from './generated/openapi.ts';
import type { OperationOutput } from './operation-types.ts';

/** Names for the shapes of the API: what the methods answer, and what they take. */
type Schemas = components['schemas'];

export type { OperationId } from './generated/operations.ts';
export type { OperationInput, OperationOutput, Page, PageIterator } from './operation-types.ts';
export type { FieldError, Problem } from './problem.ts';
export type { BatchResult, EventInput, SendEventsResult } from './send-events.ts';

export type Tenant = OperationOutput<'listTenants'>['data'][number];
export type TenantWithLimits = OperationOutput<'getTenant'>;
export type TenantUpdate = Schemas['TenantUpdate'];
export type CreatedApiKey = OperationOutput<'createApiKey'>;
export type ApiKey = OperationOutput<'listApiKeys'>['data'][number];
export type SluiceEvent = OperationOutput<'listEvents'>['data'][number];
export type EventWithDeliveries = OperationOutput<'getEvent'>;
export type Destination = OperationOutput<'getDestination'>;
export type DestinationInput = Schemas['DestinationInput'];
export type DestinationUpdate = Schemas['DestinationUpdate'];
export type DestinationType = Destination['type'];
export type DestinationTestResult = OperationOutput<'testDestination'>;
export type DestinationSetup = OperationOutput<'getDestinationSetup'>;
export type Delivery = OperationOutput<'listDeliveries'>['data'][number];
export type DeliveryWithAttempts = OperationOutput<'getDelivery'>;
export type Attempt = DeliveryWithAttempts['attemptLog'][number];
export type DlqEntry = OperationOutput<'listDlqEntries'>['data'][number];
export type DlqEntryDetail = OperationOutput<'getDlqEntry'>;
export type DlqReplay = OperationOutput<'getDlqReplay'>;
export type Stats = OperationOutput<'getStats'>;
export type Alert = OperationOutput<'listAlerts'>['data'][number];
export type AlertRules = Destination['alerts'];
export type AlertRule = keyof AlertRules;
export type DestinationHealth = Destination['health'];
export type DestinationPreview = OperationOutput<'previewDestination'>;
export type TenantLimits = TenantWithLimits['limits'];
export type EncryptionKeys = OperationOutput<'getEncryptionKeys'>;
export type PortalSession = OperationOutput<'createPortalSession'>;
export type ConsoleSession = OperationOutput<'getConsoleSession'>;
