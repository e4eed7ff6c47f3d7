import type { BatchLimits, EncodedEntry, EntryAnswer, PreparedMessage } from './types.ts';

/** Splitting messages into provider calls within an adapter's limits, and reading batch answers. */

export interface PlannedEntry<TEntry> {
  message: PreparedMessage;
  encoded: EncodedEntry<TEntry>;
}

export interface BatchPlan<TEntry> {
  batches: PlannedEntry<TEntry>[][];
  tooLarge: Array<{ message: PreparedMessage; bytes: number; limit: number }>;
}

/**
 * Greedy in order: a batch closes when the next message would exceed its entry or byte limit.
 * `destinationMaxMessageBytes` is the destination's own limit when known (a queue's
 * MaximumMessageSize); the provider's limit applies otherwise.
 */
export function planBatches<TEntry>(
  messages: PreparedMessage[],
  encode: (message: PreparedMessage) => EncodedEntry<TEntry>,
  limits: BatchLimits,
  destinationMaxMessageBytes?: number | null,
): BatchPlan<TEntry> {
  const limit = Math.min(limits.maxMessageBytes, destinationMaxMessageBytes ?? Number.POSITIVE_INFINITY);
  const plan: BatchPlan<TEntry> = { batches: [], tooLarge: [] };
  let current: PlannedEntry<TEntry>[] = [];
  let currentBytes = 0;
  for (const message of messages) {
    const encoded = encode(message);
    if (encoded.bytes > limit) {
      plan.tooLarge.push({ message, bytes: encoded.bytes, limit });
      continue;
    }
    if (current.length === limits.maxEntries || currentBytes + encoded.bytes > limits.maxBatchBytes) {
      plan.batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push({ message, encoded });
    currentBytes += encoded.bytes;
  }
  if (current.length > 0) plan.batches.push(current);
  return plan;
}

/** The entry Id of the entry at `position` in a SendMessageBatch or PublishBatch call. */
export const batchEntryId = (position: number) => `m${position}`;

/**
 * Reads an SQS or SNS batch answer (`Successful[]` and `Failed[]`, matched by entry Id) into
 * one answer per entry. A 200 answer can fail some entries: each keeps its own code.
 */
export function answersByEntryId(
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
): EntryAnswer[] {
  const answers = new Map<string, EntryAnswer>();
  for (const sent of answer.Successful ?? []) {
    if (sent.Id) answers.set(sent.Id, { ok: true, providerMessageId: sent.MessageId });
  }
  for (const failed of answer.Failed ?? []) {
    if (!failed.Id) continue;
    answers.set(failed.Id, {
      ok: false,
      code: failed.Code ?? 'Unknown',
      message: failed.Message ?? '',
      senderFault: failed.SenderFault,
    });
  }
  return Array.from(
    { length: entryCount },
    (_, position): EntryAnswer =>
      answers.get(batchEntryId(position)) ?? {
        ok: false,
        code: 'MissingResult',
        message: 'The provider did not report on this entry.',
      },
  );
}
