import { isRawJsonNumber } from '@sluice/contracts/lossless-json';
import { z } from 'zod';
import type { DeliverableEvent } from './types.ts';

/**
 * Dotted paths into a DeliverableEvent, used to pick a FIFO MessageGroupId or a Kinesis
 * PartitionKey: a canonical top-level field (`customerExternalId`), a metadata key
 * (`metadata.tier`) or a field inside the payload (`payload.order.id`, `payload.items.0.sku`).
 */

const SCALAR_ROOTS = [
  'id',
  'eventType',
  'occurredAt',
  'source',
  'customerExternalId',
  'idempotencyKey',
  'correlationId',
  'receivedAt',
];
const SCALAR_ROOT_SET: ReadonlySet<string> = new Set(SCALAR_ROOTS);

const SEGMENT = /^[A-Za-z0-9_$@:-]{1,128}$/;
const MAX_PAYLOAD_DEPTH = 8;

export const FIELD_PATH_FORMAT =
  `a field of the event: one of ${SCALAR_ROOTS.join(', ')}, metadata.<key>, or payload.<field>[.<field>...] ` +
  `(segments of letters, digits, _ $ @ : -; at most ${MAX_PAYLOAD_DEPTH} levels below payload)`;

/** Why a path is not usable, or null when it is. */
export function fieldPathProblem(path: string): string | null {
  const segments = path.split('.');
  const [root, ...rest] = segments;
  if (segments.some((segment) => !SEGMENT.test(segment))) {
    return `"${path}" is not a dotted field path; it must be ${FIELD_PATH_FORMAT}`;
  }
  if (root === 'payload') {
    if (rest.length === 0) return `"payload" is an object; name a field inside it, e.g. payload.orderId`;
    if (rest.length > MAX_PAYLOAD_DEPTH)
      return `"${path}" is nested too deeply; at most ${MAX_PAYLOAD_DEPTH} levels below payload`;
    return null;
  }
  if (root === 'metadata') {
    return rest.length === 1 ? null : `"${path}" must name one metadata key, e.g. metadata.tier`;
  }
  if (SCALAR_ROOT_SET.has(root ?? '')) {
    return rest.length === 0 ? null : `"${root}" is a plain value and has no fields; use "${root}" alone`;
  }
  return `"${path}" does not start with a field of the event; it must be ${FIELD_PATH_FORMAT}`;
}

export const fieldPathSchema = z
  .string({ error: `must be a string: ${FIELD_PATH_FORMAT}` })
  .superRefine((path, ctx) => {
    const problem = fieldPathProblem(path);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

function child(value: unknown, segment: string): unknown {
  if (Array.isArray(value)) return /^\d+$/.test(segment) ? value[Number(segment)] : undefined;
  if (typeof value === 'object' && value !== null && !isRawJsonNumber(value) && Object.hasOwn(value, segment)) {
    return Object.getOwnPropertyDescriptor(value, segment)?.value;
  }
  return undefined;
}

/**
 * The value at `path` as a string when it is a non-empty string or a finite number; null
 * when it is missing or anything else (callers fall back to the customerExternalId).
 */
export function readEventField(event: DeliverableEvent, path: string): string | null {
  let value: unknown = event;
  for (const segment of path.split('.')) {
    value = child(value, segment);
    if (value === undefined) return null;
  }
  if (typeof value === 'string') return value.length > 0 ? value : null;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  // A number a double cannot hold keeps its digits (lossless-json.ts), so two ids that differ
  // only past the 16th digit are two groups.
  if (isRawJsonNumber(value)) return value.rawJSON;
  return null;
}
