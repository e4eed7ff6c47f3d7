import { toFieldErrors } from '@sluice/contracts/field-errors';
import { type PlannedEntry, planBatches } from './batching.ts';
import { attributesUnreadable, classifyEntryFailure, classifyWith, failureOf } from './error-classification.ts';
import { describeAwsFailure } from './failure-messages.ts';
import {
  type MessageTransform,
  type PreparedBatch,
  prepareMessages,
  type TransformSpec,
  untransformed,
} from './transform/prepare-messages.ts';
import type {
  BatchLimits,
  ConfigContext,
  DeliverableEvent,
  DeliveryFailure,
  DeliveryOutcome,
  DestinationAdapter,
  DestinationType,
  EntryPreview,
  IamPermissions,
  OutgoingMessage,
  PreparedMessage,
  ProbeResult,
  SendContext,
} from './types.ts';

/**
 * An adapter bound to one validated config: the one place where messages become provider
 * calls (within the adapter's entry and byte limits), where every answer becomes one
 * classified outcome per message, and where credentials AWS called expired are dropped.
 * Callers hold a ConfiguredDestination of any type and never switch over types; how many
 * calls run at once is the caller's (the drain's) decision.
 */

export interface PlannedCall {
  readonly messages: OutgoingMessage[];
  /** Bytes as the provider counts them, for the caller's in-flight bounds. */
  readonly bytes: number;
  /** Makes the call; one outcome per message, in order. Never throws. */
  send(ctx: SendContext): Promise<CallResult>;
}

export interface CallResult {
  outcomes: DeliveryOutcome[];
  /** Set when the call failed as a whole (denied, throttled, unreachable): the next call would too. */
  wholeCallFailure: DeliveryFailure | null;
}

export interface SendPlan {
  calls: PlannedCall[];
  /** Messages refused before any call (their transform failed, or over the size limit), with their outcome. */
  rejected: DeliveryOutcome[];
}

/** Exactly what one message would be sent as (POST /v1/destinations/{id}/preview). */
export interface MessagePreview extends EntryPreview {
  body: string;
  /** Size as the provider counts it against its limit. */
  bytes: number;
  maxBytes: number;
  fits: boolean;
}

/** A round's transforms stop starting after this; what is left waits for the next round. */
export const TRANSFORM_ROUND_BUDGET_MS = 10_000;

export interface ConfiguredDestination {
  readonly type: DestinationType;
  /** The normalised config: store this one. */
  readonly config: Record<string, unknown>;
  readonly limits: BatchLimits;
  readonly isFifo: boolean;
  readonly region: string;
  readonly resourceName: string;
  readonly iamPermissions: IamPermissions;
  readonly transform: TransformSpec | null;
  orderingKey(event: DeliverableEvent): string | null;
  /** Gives each message its body (the transform's result, or the event JSON); failed transforms become outcomes. */
  prepare(messages: OutgoingMessage[]): Promise<PreparedBatch>;
  /** The messages with the event JSON as body, transform or not (the test endpoint's message). */
  untransformed(messages: OutgoingMessage[]): PreparedBatch;
  /** Splits prepared messages into provider calls; `maxMessageBytes` is the destination's own limit when known. */
  plan(batch: PreparedBatch, maxMessageBytes?: number | null): SendPlan;
  preview(message: PreparedMessage, maxMessageBytes?: number | null): MessagePreview;
  probe(ctx: SendContext): Promise<ProbeResult>;
}

const missingAnswer = failureOf('unknown', 'MissingResult', 'The provider did not report on this entry.');

export function bindAdapter<TType extends DestinationType, TConfig extends object, TEntry>(
  adapter: DestinationAdapter<TType, TConfig, TEntry>,
  config: TConfig,
  transform: MessageTransform | null = null,
): ConfiguredDestination {
  const facts = adapter.describe(config);
  const sizeLimit = (maxMessageBytes: number | null | undefined) =>
    Math.min(adapter.limits.maxMessageBytes, maxMessageBytes ?? Number.POSITIVE_INFINITY);
  const describeFor = (ctx: SendContext, action?: string) =>
    describeAwsFailure({
      ...facts.failureTarget,
      ...(action ? { action } : {}),
      principal: ctx.credentials.principal,
    });
  const reject = (message: OutgoingMessage, failure: DeliveryFailure): DeliveryOutcome => ({
    deliveryId: message.deliveryId,
    ok: false,
    failure,
  });

  async function sendEntries(ctx: SendContext, planned: PlannedEntry<TEntry>[]): Promise<CallResult> {
    const describe = describeFor(ctx);
    let answers: Awaited<ReturnType<typeof adapter.sendCall>>;
    try {
      answers = await adapter.sendCall(
        ctx,
        config,
        planned.map((p) => p.encoded.entry),
      );
    } catch (error) {
      const failure = classifyWith(error, describe);
      // The call was too large as a whole (the provider counts differently from us), or it was
      // refused for one message too large, without saying which: the same entries go in two
      // halves, in order, and only an entry that is too large alone fails.
      if (failure.category === 'batch_too_large' || failure.category === 'too_large') {
        if (planned.length > 1) {
          const half = Math.ceil(planned.length / 2);
          const first = await sendEntries(ctx, planned.slice(0, half));
          const rest = planned.slice(half);
          const stop = first.wholeCallFailure;
          if (stop)
            return {
              outcomes: [...first.outcomes, ...rest.map((p) => reject(p.message, stop))],
              wholeCallFailure: stop,
            };
          const second = await sendEntries(ctx, rest);
          return { outcomes: [...first.outcomes, ...second.outcomes], wholeCallFailure: second.wholeCallFailure };
        }
        const alone = failureOf('too_large', 'payload_too_large', `${failure.message} The message alone is too large.`);
        return { outcomes: planned.map((p) => reject(p.message, alone)), wholeCallFailure: null };
      }
      // Session credentials AWS called expired: the next call assumes the role afresh, through a
      // new client (a client keeps the credentials it resolved until shortly before they expire).
      if (failure.category === 'expired_credentials') {
        ctx.credentials.invalidate();
        ctx.clients.forget(ctx.credentials);
      }
      return { outcomes: planned.map((p) => reject(p.message, failure)), wholeCallFailure: failure };
    }
    const outcomes = planned.map((p, position): DeliveryOutcome => {
      const answer = answers[position];
      if (!answer) return reject(p.message, missingAnswer);
      if (answer.ok) return { deliveryId: p.message.deliveryId, ok: true, providerMessageId: answer.providerMessageId };
      return reject(p.message, classifyEntryFailure(answer, describe));
    });
    return { outcomes, wholeCallFailure: null };
  }

  return {
    type: adapter.type,
    config: Object.fromEntries(Object.entries(config)),
    limits: adapter.limits,
    isFifo: facts.isFifo,
    region: facts.region,
    resourceName: facts.resourceName,
    iamPermissions: facts.iamPermissions,
    transform: transform?.spec ?? null,
    orderingKey: (event) => adapter.orderingKey(config, event),

    prepare: (messages) =>
      prepareMessages(messages, transform, {
        objectBodyFor: adapter.objectBodyOnly ? facts.failureTarget.service : undefined,
        roundBudgetMs: TRANSFORM_ROUND_BUDGET_MS,
      }),
    untransformed,

    plan(batch, maxMessageBytes) {
      const plan = planBatches(
        batch.messages,
        (message) => adapter.encode(config, message),
        adapter.limits,
        maxMessageBytes,
      );
      const label = `the ${facts.failureTarget.noun} ${facts.resourceName}`;
      return {
        rejected: [
          ...batch.rejected,
          ...plan.tooLarge.map(({ message, bytes, limit }) =>
            reject(
              message,
              failureOf(
                'too_large',
                'payload_too_large',
                `The message is ${bytes} bytes; ${label} accepts at most ${limit} bytes (body and attributes).`,
              ),
            ),
          ),
        ],
        calls: plan.batches.map((entries) => ({
          messages: entries.map((entry) => entry.message),
          bytes: entries.reduce((sum, entry) => sum + entry.encoded.bytes, 0),
          send: (ctx: SendContext) => sendEntries(ctx, entries),
        })),
      };
    },

    preview(message, maxMessageBytes) {
      const { entry, bytes } = adapter.encode(config, message);
      const maxBytes = sizeLimit(maxMessageBytes);
      return { body: message.body, ...adapter.preview(entry), bytes, maxBytes, fits: bytes <= maxBytes };
    },

    async probe(ctx) {
      try {
        return await adapter.probe(ctx, config);
      } catch (error) {
        return attributesUnreadable(classifyWith(error, describeFor(ctx, facts.probeAction)));
      }
    },
  };
}

export type ConfigureResult =
  | { ok: true; destination: ConfiguredDestination }
  | { ok: false; errors: Array<{ path: string; message: string }> };

/** A destination type as the registry holds it: its adapter's generic types stay inside. */
export interface DestinationDefinition<TType extends DestinationType = DestinationType> {
  readonly type: TType;
  readonly service: DestinationAdapter<TType, object, unknown>['service'];
  readonly limits: BatchLimits;
  configSchema: DestinationAdapter<TType, object, unknown>['configSchema'];
  /** Validates a raw config (one error per problem, an unknown field named by its own path) and binds it. */
  configure(rawConfig: unknown, ctx: ConfigContext, transform?: MessageTransform | null): ConfigureResult;
}

export function defineDestination<TType extends DestinationType, TConfig extends object, TEntry>(
  adapter: DestinationAdapter<TType, TConfig, TEntry>,
): DestinationDefinition<TType> {
  return {
    type: adapter.type,
    service: adapter.service,
    limits: adapter.limits,
    configSchema: adapter.configSchema,
    configure(rawConfig, ctx, transform = null) {
      const parsed = adapter.configSchema(ctx).safeParse(rawConfig);
      if (!parsed.success) return { ok: false, errors: toFieldErrors(parsed.error.issues) };
      return { ok: true, destination: bindAdapter(adapter, parsed.data, transform) };
    },
  };
}
