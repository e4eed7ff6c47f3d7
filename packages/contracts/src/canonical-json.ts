import { createHash } from 'node:crypto';
import { decimalKey, isRawJsonNumber } from './lossless-json.ts';

/**
 * JSON with object keys sorted at every level: equal values give equal text. A number kept
 * exactly (lossless-json.ts) is written in one normal form, so `12345678901234567890123` and
 * `1.2345678901234567890123e22` hash alike, and numbers that differ in any digit do not.
 */
export function canonicalJson(value: unknown): string {
  if (isRawJsonNumber(value)) return decimalKey(value.rawJSON);
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value)
    .filter(([, child]) => child !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${canonicalJson(child)}`).join(',')}}`;
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');
