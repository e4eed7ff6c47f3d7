/**
 * JSON numbers that a double cannot hold (an integer beyond 2^53, a decimal with more than
 * about 16 significant digits, 1e400) keep their exact text: `JSON.parse` hands the reviver
 * each number's source (Node 22+), and `JSON.rawJSON` makes a value that `JSON.stringify`
 * writes back verbatim. Everything else stays a plain number, so objects stay plain JSON
 * and code that reads them (zod, JSONata, field paths) sees what it always saw.
 * PostgreSQL's jsonb stores numerics exactly, so a number survives the whole way:
 * request, storage, reads and the message body at the destination.
 */

/** What `JSON.rawJSON` returns: a frozen, null-prototype object with the number's text. */
export interface RawJsonNumber {
  readonly rawJSON: string;
}

// TypeScript's lib does not describe these yet (ES2025 "JSON.parse source text access").
declare global {
  interface JSON {
    rawJSON(text: string): RawJsonNumber;
    isRawJSON(value: unknown): value is RawJsonNumber;
    parse(
      text: string,
      reviver: (this: unknown, key: string, value: unknown, context: { source?: string }) => unknown,
    ): unknown;
  }
}

export const isRawJsonNumber = (value: unknown): value is RawJsonNumber => JSON.isRawJSON(value);

/**
 * A number's exact value as text that equal values share: `1.50e2`, `150` and `150.0` all
 * give `15e1`. Used to compare a literal with what its double prints, and for hashing.
 */
export function decimalKey(text: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return text;
  const [, sign, whole, fraction = '', exponentText = '0'] = match;
  let digits = `${whole}${fraction}`.replace(/^0+/, '');
  if (digits === '') return '0';
  let exponent = BigInt(exponentText) - BigInt(fraction.length);
  const trimmed = digits.replace(/0+$/, '');
  exponent += BigInt(digits.length - trimmed.length);
  digits = trimmed;
  return `${sign}${digits}e${exponent}`;
}

/** True when the double parsed from `source` prints as a different value (digits were lost). */
const losesDigits = (value: number, source: string): boolean => decimalKey(String(value)) !== decimalKey(source);

// Only a literal with 16+ digits in a row (dots included) or a three-digit exponent can lose
// digits in a double; text without one parses exactly with the plain, much faster JSON.parse.
const MAY_LOSE_DIGITS = /\d[\d.]{15}|\d[eE][+-]?\d{3}/;

const keepExactNumbers = (_key: string, value: unknown, context: { source?: string }): unknown =>
  typeof value === 'number' && context.source !== undefined && losesDigits(value, context.source)
    ? JSON.rawJSON(context.source)
    : value;

/** JSON.parse, keeping every digit of numbers a double cannot hold (see the file comment). */
export function parseJsonExact(text: string): unknown {
  return MAY_LOSE_DIGITS.test(text) ? JSON.parse(text, keepExactNumbers) : JSON.parse(text);
}

export class ForbiddenJsonKeyError extends Error {
  constructor(key: string) {
    super(`The JSON body has a "${key}" key that could change object prototypes; rename it.`);
    this.name = 'ForbiddenJsonKeyError';
  }
}

// secure-json-parse's test (Fastify's default JSON parser), escapes included: a body without
// these keys skips the per-key check.
const PROTO_KEY =
  /"(?:_|\\u005[Ff])(?:_|\\u005[Ff])(?:p|\\u0070)(?:r|\\u0072)(?:o|\\u006[Ff])(?:t|\\u0074)(?:o|\\u006[Ff])(?:_|\\u005[Ff])(?:_|\\u005[Ff])"/;
const CONSTRUCTOR_KEY =
  /"(?:c|\\u0063)(?:o|\\u006[Ff])(?:n|\\u006[Ee])(?:s|\\u0073)(?:t|\\u0074)(?:r|\\u0072)(?:u|\\u0075)(?:c|\\u0063)(?:t|\\u0074)(?:o|\\u006[Ff])(?:r|\\u0072)"/;

function refusePrototypeKeys(key: string, value: unknown, context: { source?: string }): unknown {
  if (key === '__proto__') throw new ForbiddenJsonKeyError(key);
  if (key === 'constructor' && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype')) {
    throw new ForbiddenJsonKeyError('constructor.prototype');
  }
  return keepExactNumbers(key, value, context);
}

/**
 * A request body: exact numbers, and the prototype-poisoning keys refused as Fastify's own
 * parser refuses them (`__proto__`, `constructor.prototype`). Throws SyntaxError or
 * ForbiddenJsonKeyError.
 */
export function parseRequestJson(text: string): unknown {
  if (PROTO_KEY.test(text) || CONSTRUCTOR_KEY.test(text)) return JSON.parse(text, refusePrototypeKeys);
  return parseJsonExact(text);
}
