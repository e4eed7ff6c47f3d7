import { z } from 'zod';
import { type Problem, report, resolveRegion } from './aws-identifiers.ts';

/**
 * The rules SQS queues and SNS topics share once their locator (queue URL or topic ARN) is
 * parsed: an optional region must agree with the locator's, and messageGroupIdField is
 * allowed (default customerExternalId) exactly when the resource is FIFO.
 */
export interface FifoResourceFields {
  region: string;
  /** Set (default customerExternalId) exactly when the resource is FIFO. */
  messageGroupIdField?: string;
}

export function fifoResourceFields(
  refinement: z.core.$RefinementCtx,
  parts: { region: string | null; name: string; fifo: boolean } | Problem[],
  input: { region?: string | undefined; messageGroupIdField?: string | undefined },
  words: { locator: 'queue URL' | 'topic ARN'; noun: 'queue' | 'topic' },
): FifoResourceFields | typeof z.NEVER {
  if (Array.isArray(parts)) {
    report(refinement, parts);
    return z.NEVER;
  }
  const region = resolveRegion(parts.region, input.region, words.locator);
  if ('problem' in region) {
    report(refinement, [region.problem]);
    return z.NEVER;
  }
  if (!parts.fifo && input.messageGroupIdField !== undefined) {
    const message = `messageGroupIdField applies only to FIFO ${words.noun}s (names ending in .fifo); "${parts.name}" is a standard ${words.noun}`;
    report(refinement, [{ path: 'messageGroupIdField', message }]);
    return z.NEVER;
  }
  return {
    region: region.region,
    ...(parts.fifo ? { messageGroupIdField: input.messageGroupIdField ?? 'customerExternalId' } : {}),
  };
}
