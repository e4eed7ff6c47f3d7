import { failureOf } from '../error-classification.ts';
import { eventBody, sendableJson } from '../message-encoding.ts';
import type { DeliverableEvent, DeliveryOutcome, OutgoingMessage, PreparedMessage } from '../types.ts';
import type { TransformResult, TransformRunner } from './transform-runner.ts';

/**
 * The step between claiming messages and planning provider calls: each message gets its body,
 * the event JSON or the JSON of the destination's transform evaluated on the event. A message
 * whose transform fails gets its outcome here (`transform_failed`, dead-lettered) and the rest
 * go on; attributes, group and deduplication ids and partition keys are still read from the
 * event by the adapter's encode.
 */

export interface TransformSpec {
  language: 'jsonata';
  expression: string;
}

/** A destination's transform, ready to run on the shared pool (compiled there once per expression). */
export interface MessageTransform {
  readonly spec: TransformSpec;
  /** Evaluations of one batch at once (the pool keeps a thread for other destinations). */
  readonly concurrency: number;
  apply(event: DeliverableEvent): Promise<TransformResult>;
}

export function bindTransform(spec: TransformSpec | null, runner: TransformRunner): MessageTransform | null {
  if (!spec) return null;
  return {
    spec,
    concurrency: runner.perBatchConcurrency,
    apply: (event) => runner.evaluate(spec.expression, event),
  };
}

/** Messages with their bodies, and the outcomes of those that could not get one. */
export interface PreparedBatch {
  messages: PreparedMessage[];
  rejected: DeliveryOutcome[];
}

export interface PrepareOptions {
  /** The destination takes only JSON objects (EventBridge's Detail); its name for the message. */
  objectBodyFor?: string | undefined;
  /** Past this, messages not yet transformed wait for a later round instead of holding this one. */
  roundBudgetMs: number;
}

/** The bodies without a transform: the event JSON. */
export function untransformed(messages: OutgoingMessage[]): PreparedBatch {
  return { messages: messages.map((message) => ({ ...message, body: eventBody(message.event) })), rejected: [] };
}

const FIX_IT = 'Fix the expression with PATCH /v1/destinations/{id} (POST .../preview shows the result), then replay.';

function bodyOrFailure(result: TransformResult, options: PrepareOptions): { body: string } | { failure: string } {
  if (!result.ok) return { failure: `The destination's transform failed for this event: ${result.message} ${FIX_IT}` };
  if (options.objectBodyFor && result.kind !== 'object') {
    return {
      failure: `The destination's transform yielded ${result.kind === 'array' ? 'an' : 'a'} ${result.kind}; ${options.objectBodyFor} takes only a JSON object. ${FIX_IT}`,
    };
  }
  return { body: sendableJson(result.json) };
}

export async function prepareMessages(
  messages: OutgoingMessage[],
  transform: MessageTransform | null,
  options: PrepareOptions,
): Promise<PreparedBatch> {
  if (!transform) return untransformed(messages);
  const { apply, concurrency } = transform;
  const started = Date.now();
  const answers: Array<{ body: string } | { failure: string } | { deferred: true }> = [];
  let next = 0;
  async function lane(): Promise<void> {
    while (next < messages.length) {
      const index = next++;
      const message = messages[index]!;
      if (Date.now() - started > options.roundBudgetMs) {
        answers[index] = { deferred: true };
        continue;
      }
      answers[index] = bodyOrFailure(await apply(message.event), options);
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));

  const batch: PreparedBatch = { messages: [], rejected: [] };
  messages.forEach((message, index) => {
    const answer = answers[index];
    if (answer && 'body' in answer) batch.messages.push({ ...message, body: answer.body });
    else if (answer && 'failure' in answer) {
      batch.rejected.push({
        deliveryId: message.deliveryId,
        ok: false,
        failure: failureOf('transform_failed', 'transform_failed', answer.failure),
      });
    } else {
      batch.rejected.push({
        deliveryId: message.deliveryId,
        ok: false,
        failure: failureOf(
          'transform_deferred',
          'transform_deferred',
          `Not transformed in this round: the destination's transform used up the round's ${options.roundBudgetMs} ms on the messages before it. It will be retried.`,
        ),
      });
    }
  });
  return batch;
}
