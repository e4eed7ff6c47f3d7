import { isRawJsonNumber } from './lossless-json.ts';

/**
 * PostgreSQL cannot store U+0000 in text or jsonb, and a lone UTF-16 surrogate is not
 * Unicode at all: both are refused up front (400 naming the field) instead of failing at
 * the INSERT. Keys are checked as well as values.
 */
export interface UnstorableText {
  path: (string | number)[];
  message: string;
}

function problemWith(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain the NUL character (U+0000)';
  if (!text.isWellFormed()) return 'must be well-formed Unicode (it has a lone surrogate)';
  return undefined;
}

// Deeper values are refused by the depth rule anyway; the bound keeps this walk off the stack's edge.
const MAX_WALK_DEPTH = 64;

export function findUnstorableText(
  value: unknown,
  path: (string | number)[] = [],
  found: UnstorableText[] = [],
): UnstorableText[] {
  if (found.length >= 20 || path.length > MAX_WALK_DEPTH) return found;
  if (typeof value === 'string') {
    const message = problemWith(value);
    if (message) found.push({ path, message });
  } else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) findUnstorableText(item, [...path, index], found);
  } else if (value !== null && typeof value === 'object' && !isRawJsonNumber(value)) {
    for (const [key, child] of Object.entries(value)) {
      const keyProblem = problemWith(key);
      if (keyProblem) found.push({ path: [...path, key], message: `has a key that ${keyProblem}` });
      findUnstorableText(child, [...path, key], found);
    }
  }
  return found;
}

/** The problems as field errors, paths dotted as validation errors name them (`payload.note`, `query.eventType`). */
export function unstorableFieldErrors(value: unknown, prefix?: string): { path: string; message: string }[] {
  return findUnstorableText(value).map(({ path, message }) => ({
    path: [prefix, ...path.map(String)].filter((part) => part !== undefined).join('.') || 'body',
    message,
  }));
}
