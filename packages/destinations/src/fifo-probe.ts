import type { ProbeResult } from './types.ts';

/**
 * The attributes check SQS queues and SNS topics share: the resource's FIFO-ness must match
 * what its URL or ARN says, and a KMS key is worth naming (the role then needs it too).
 */
export function fifoProbeResult(input: {
  noun: 'queue' | 'topic';
  locator: 'queue URL' | 'topic ARN';
  expectFifo: boolean;
  actualFifo: boolean;
  maxMessageBytes: number | null;
  kmsKeyId: string | undefined;
  /** How the size limit reads in the check's detail. */
  sizeDetail: string;
}): ProbeResult {
  const kind = (fifo: boolean) => (fifo ? 'FIFO' : 'standard');
  if (input.actualFifo !== input.expectFifo) {
    const detail = `The ${input.locator} names a ${kind(input.expectFifo)} ${input.noun} but the ${input.noun} is ${kind(input.actualFifo)}.`;
    return {
      ok: false,
      maxMessageBytes: input.maxMessageBytes,
      checks: [{ name: 'attributes', ok: false, detail }],
      failureCode: 'fifo_mismatch',
    };
  }
  const kms = input.kmsKeyId
    ? `; encrypted with KMS key ${input.kmsKeyId} (the role also needs kms:GenerateDataKey and kms:Decrypt)`
    : '';
  const detail = `${kind(input.actualFifo)} ${input.noun}; ${input.sizeDetail}${kms}`;
  return { ok: true, maxMessageBytes: input.maxMessageBytes, checks: [{ name: 'attributes', ok: true, detail }] };
}
