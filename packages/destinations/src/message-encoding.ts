import { createHash } from 'node:crypto';
import { EVENT_FIELDS } from '@sluice/contracts/events';
import { readEventField } from './event-fields.ts';
import type { DeliverableEvent, EntryPreview, PreparedMessage } from './types.ts';

/**
 * What every destination type sends, independent of the provider's request shape: the
 * body, the String message attributes, and the FIFO ids. Hashing is stable so a retried or
 * replayed delivery carries the same group and deduplication ids as the first attempt.
 */

// SQS (and SNS FIFO) allow these in MessageGroupId and MessageDeduplicationId: a-zA-Z0-9 and
// !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~ — exactly printable ASCII without the space.
const FIFO_ID = /^[\x21-\x7e]{1,128}$/;
const MAX_PARTITION_KEY_CHARS = 256;

/** A deterministic id within every provider's charset and length: `sha256:` + 64 hex digits. */
export function stableHash(value: string): string {
  return `sha256:${createHash('sha256').update(value, 'utf8').digest('hex')}`;
}

export function fifoSafeId(value: string): string {
  return FIFO_ID.test(value) ? value : stableHash(value);
}

/** The field's value, or the customerExternalId when the field is missing or not a string or number. */
export function groupValue(event: DeliverableEvent, fieldPath: string): string {
  return readEventField(event, fieldPath) ?? event.customerExternalId;
}

export function messageGroupId(event: DeliverableEvent, fieldPath: string): string {
  return fifoSafeId(groupValue(event, fieldPath));
}

export function deduplicationId(event: DeliverableEvent): string {
  return fifoSafeId(event.idempotencyKey);
}

export function partitionKey(event: DeliverableEvent, fieldPath: string): string {
  const value = groupValue(event, fieldPath);
  return value.length > MAX_PARTITION_KEY_CHARS ? stableHash(value) : value;
}

// SQS refuses characters outside #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF. JSON
// escapes control characters and lone surrogates already; U+FFFE and U+FFFF it leaves alone.
const NON_CHARACTERS = /[\ufffe\uffff]/g;
const escapeNonCharacter = (char: string) => `\\u${char.charCodeAt(0).toString(16)}`;

/** JSON text a provider accepts: inside JSON these characters only occur in strings, where an escape keeps the value intact. */
export function sendableJson(json: string): string {
  return json.replace(NON_CHARACTERS, escapeNonCharacter);
}

/** The body: the event JSON with the canonical fields in the contract's order, absent ones left out. */
export function eventBody(event: DeliverableEvent): string {
  const ordered: Record<string, unknown> = {};
  for (const field of EVENT_FIELDS) if (event[field] !== undefined) ordered[field] = event[field];
  return sendableJson(JSON.stringify(ordered));
}

// Attribute values cannot be escaped like the body: characters SQS would refuse become U+FFFD.
const INVALID_ATTRIBUTE_CHARS = /[^\t\n\r\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

/** The String message attributes of SQS and SNS messages, in a fixed order. */
export function eventAttributes(event: DeliverableEvent): Array<[name: string, value: string]> {
  const attributes: Array<[string, string]> = [
    ['eventType', event.eventType],
    ['eventId', event.id],
    ['source', event.source],
    ['customerExternalId', event.customerExternalId],
  ];
  if (event.correlationId !== undefined) attributes.push(['correlationId', event.correlationId]);
  return attributes.map(([name, value]) => [name, value.replace(INVALID_ATTRIBUTE_CHARS, '\ufffd')]);
}

/** Bytes the way SQS and SNS count a message: body plus each attribute's name, data type and value. */
export function messageBytes(body: string, attributes: Array<[string, string]>): number {
  let bytes = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of attributes) {
    bytes += Buffer.byteLength(name, 'utf8') + 'String'.length + Buffer.byteLength(value, 'utf8');
  }
  return bytes;
}

/** A message with String attributes and optional FIFO ids: what SQS and SNS batch entries share. */
export interface AttributeMessage {
  body: string;
  attributes: Record<string, { DataType: 'String'; StringValue: string }>;
  groupId?: string;
  deduplicationId?: string;
  bytes: number;
}

/** The body, the attributes (always from the event, transformed or not) and, with a group (FIFO), the group and deduplication ids. */
export function attributeMessage({ event, body }: PreparedMessage, groupId: string | null): AttributeMessage {
  const pairs = eventAttributes(event);
  const attributes: AttributeMessage['attributes'] = {};
  for (const [name, value] of pairs) attributes[name] = { DataType: 'String', StringValue: value };
  const message: AttributeMessage = { body, attributes, bytes: messageBytes(body, pairs) };
  if (groupId !== null) {
    message.groupId = groupId;
    message.deduplicationId = deduplicationId(event);
  }
  return message;
}

/** What an SQS or SNS message carries besides its body, for the preview. */
export function attributeMessagePreview(message: AttributeMessage): EntryPreview {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.attributes)) attributes[name] = value.StringValue;
  return {
    attributes,
    ...(message.groupId !== undefined ? { messageGroupId: message.groupId } : {}),
    ...(message.deduplicationId !== undefined ? { messageDeduplicationId: message.deduplicationId } : {}),
  };
}
