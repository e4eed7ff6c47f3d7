import type { components } from './generated/openapi.ts';
import type { OperationOutput } from './operation-types.ts';

/** Names for the shapes of the API, all from the generated document types. */
type Schemas = components['schemas'];

export type { OperationId } from './generated/operations.ts';
export type { OperationInput, OperationOutput, Page, PageIterator } from './operation-types.ts';
export type { FieldError, Problem } from './problem.ts';
export type { BatchResult, EventInput, SendEventsResult } from './send-events.ts';

export type Tenant = Schemas['Tenant'];
export type TenantUpdate = Schemas['TenantUpdate'];
export type CreatedApiKey = Schemas['CreatedApiKey'];
export type ApiKey = Schemas['ApiKeyListItem'];
export type SluiceEvent = Schemas['Event'];
export type EventWithDeliveries = OperationOutput<'getEvent'>;
export type Destination = Schemas['Destination'];
export type DestinationInput = Schemas['DestinationInput'];
export type DestinationUpdate = Schemas['DestinationUpdate'];
export type DestinationType = Destination['type'];
export type DestinationTestResult = Schemas['DestinationTestResult'];
export type DestinationSetup = Schemas['DestinationSetup'];
export type Delivery = Schemas['Delivery'];
export type DeliveryWithAttempts = OperationOutput<'getDelivery'>;
export type Attempt = DeliveryWithAttempts['attemptLog'][number];
export type DlqEntry = Schemas['DlqEntry'];
export type DlqEntryDetail = OperationOutput<'getDlqEntry'>;
export type DlqReplay = Schemas['DlqReplay'];
export type Stats = Schemas['Stats'];
export type PortalSession = Schemas['PortalSession'];
export type ConsoleSession = Schemas['ConsoleSession'];
