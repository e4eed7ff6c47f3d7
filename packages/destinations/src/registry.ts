import { type ConfigureResult, type DestinationDefinition, defineDestination } from './bound-destination.ts';
import { eventBridgeAdapter } from './eventbridge/adapter.ts';
import { kinesisAdapter } from './kinesis/adapter.ts';
import { snsAdapter } from './sns/adapter.ts';
import { sqsAdapter } from './sqs/adapter.ts';
import type { ConfigContext, DestinationType } from './types.ts';

/**
 * Every destination type has exactly one definition: adding a type without one fails to
 * compile, and adding a type is one folder and one line here.
 */
export const destinationDefinitions: { readonly [T in DestinationType]: DestinationDefinition<T> } = {
  sqs: defineDestination(sqsAdapter),
  sns: defineDestination(snsAdapter),
  kinesis: defineDestination(kinesisAdapter),
  eventbridge: defineDestination(eventBridgeAdapter),
};

export const destinationTypes: readonly DestinationType[] =
  Object.keys(destinationDefinitions).filter(isDestinationType);

export function isDestinationType(value: string): value is DestinationType {
  return Object.hasOwn(destinationDefinitions, value);
}

/** Validates a raw config for a type and binds it to the type's adapter. */
export function configureDestination(type: DestinationType, rawConfig: unknown, ctx: ConfigContext): ConfigureResult {
  return destinationDefinitions[type].configure(rawConfig, ctx);
}
