import { classifyEntryFailure, type DescribeFailure, isExpiredSession } from './error-classification.ts';
import type {
  BatchLimits,
  DeliveryFailure,
  DeliveryOutcome,
  EncodedEntry,
  OutgoingMessage,
  SendContext,
} from './types.ts';

/**
 * Splits messages into provider calls within an adapter's limits and sends them in order,
 * turning every answer (whole-call exceptions included) into one outcome per message.
 */

export interface PlannedEntry<TEntry> {
  /** Position in the caller's list: outcomes are reported in that order. */
  index: number;
  message: OutgoingMessage;
  encoded: EncodedEntry<TEntry>;
}

export interface BatchPlan<TEntry> {
  batches: Array<Array<PlannedEntry<TEntry>>>;
  tooLarge: Array<{ index: number; message: OutgoingMessage; bytes: number; limit: number }>;
}

export function effectiveMaxMessageBytes(limits: BatchLimits, destinationLimit?: number): number {
  return destinationLimit === undefined ? limits.maxMessageBytes : Math.min(limits.maxMessageBytes, destinationLimit);
}

/** Greedy in order: a batch closes when the next message would exceed its entry or byte limit. */
export function planBatches<TEntry>(
  messages: OutgoingMessage[],
  encode: (message: OutgoingMessage) => EncodedEntry<TEntry>,
  limits: BatchLimits,
  destinationMaxMessageBytes?: number,
): BatchPlan<TEntry> {
  const limit = effectiveMaxMessageBytes(limits, destinationMaxMessageBytes);
  const plan: BatchPlan<TEntry> = { batches: [], tooLarge: [] };
  let current: Array<PlannedEntry<TEntry>> = [];
  let currentBytes = 0;
  messages.forEach((message, index) => {
    const encoded = encode(message);
    if (encoded.bytes > limit) {
      plan.tooLarge.push({ index, message, bytes: encoded.bytes, limit });
      return;
    }
    if (current.length === limits.maxEntries || currentBytes + encoded.bytes > limits.maxBatchBytes) {
      plan.batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push({ index, message, encoded });
    currentBytes += encoded.bytes;
  });
  if (current.length > 0) plan.batches.push(current);
  return plan;
}

export type EntryResult = { ok: true; providerMessageId?: string } | { ok: false; failure: DeliveryFailure };

export interface SendInBatchesInput<TEntry> {
  ctx: SendContext;
  messages: OutgoingMessage[];
  limits: BatchLimits;
  maxMessageBytes?: number;
  /** Names the destination in the payload_too_large message. */
  destinationLabel: string;
  encode(message: OutgoingMessage): EncodedEntry<TEntry>;
  /** One provider call; answers one result per entry, in the entries' order. */
  sendCall(entries: Array<PlannedEntry<TEntry>>): Promise<EntryResult[]>;
  classify(error: unknown): DeliveryFailure;
}

export async function sendInBatches<TEntry>(input: SendInBatchesInput<TEntry>): Promise<DeliveryOutcome[]> {
  const outcomes: Array<DeliveryOutcome | undefined> = new Array(input.messages.length);
  const plan = planBatches(input.messages, (message) => input.encode(message), input.limits, input.maxMessageBytes);

  for (const { index, message, bytes, limit } of plan.tooLarge) {
    outcomes[index] = {
      deliveryId: message.deliveryId,
      ok: false,
      failure: {
        kind: 'permanent',
        code: 'payload_too_large',
        message: `The message is ${bytes} bytes; ${input.destinationLabel} accepts at most ${limit} bytes (body and attributes).`,
      },
    };
  }

  let callFailure: DeliveryFailure | null = null;
  for (const batch of plan.batches) {
    let results: EntryResult[];
    const earlierFailure = callFailure;
    if (earlierFailure) {
      // The call before this one failed as a whole (denied, missing, throttled, unreachable):
      // the same would happen again now, so the rest share its outcome and are not sent.
      results = batch.map(() => ({ ok: false, failure: earlierFailure }));
    } else {
      try {
        results = await input.sendCall(batch);
      } catch (error) {
        callFailure = input.classify(error);
        // Expired session credentials: forget them (and the clients holding them) so the retry
        // assumes the role afresh.
        if (isExpiredSession(callFailure.code)) {
          input.ctx.credentials.invalidate();
          input.ctx.clients.forget(input.ctx.credentials);
        }
        const failure = callFailure;
        results = batch.map(() => ({ ok: false, failure }));
      }
    }
    batch.forEach((entry, position) => {
      const result = results[position] ?? {
        ok: false,
        failure: { kind: 'transient', code: 'MissingResult', message: 'The provider did not report on this entry.' },
      };
      outcomes[entry.index] = { deliveryId: entry.message.deliveryId, ...result };
    });
  }

  return outcomes.map(
    (outcome, index) =>
      outcome ?? {
        deliveryId: input.messages[index]?.deliveryId ?? '',
        ok: false,
        failure: { kind: 'transient', code: 'NotSent', message: 'The message was not sent.' },
      },
  );
}

/** The entry Id of the entry at `position` in a SendMessageBatch or PublishBatch call. */
export const batchEntryId = (position: number) => `m${position}`;

/**
 * Reads an SQS or SNS batch answer (`Successful[]` and `Failed[]`, matched by entry Id) into
 * one result per entry. A 200 answer can fail some entries: each is classified on its own.
 */
export function resultsByEntryId(
  entryCount: number,
  answer: {
    Successful?: Array<{ Id?: string | undefined; MessageId?: string | undefined }> | undefined;
    Failed?:
      | Array<{
          Id?: string | undefined;
          Code?: string | undefined;
          Message?: string | undefined;
          SenderFault?: boolean | undefined;
        }>
      | undefined;
  },
  describe: DescribeFailure,
  service: string,
): EntryResult[] {
  const results = new Map<string, EntryResult>();
  for (const sent of answer.Successful ?? []) {
    if (sent.Id) results.set(sent.Id, { ok: true, providerMessageId: sent.MessageId });
  }
  for (const failed of answer.Failed ?? []) {
    if (!failed.Id) continue;
    const failure = classifyEntryFailure(
      { code: failed.Code ?? 'Unknown', message: failed.Message ?? '', senderFault: failed.SenderFault },
      describe,
    );
    results.set(failed.Id, { ok: false, failure });
  }
  return Array.from(
    { length: entryCount },
    (_, position): EntryResult =>
      results.get(batchEntryId(position)) ?? {
        ok: false,
        failure: { kind: 'transient', code: 'MissingResult', message: `${service} did not report on this entry.` },
      },
  );
}
