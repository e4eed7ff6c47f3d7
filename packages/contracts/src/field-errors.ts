import type { z } from 'zod';

export interface FieldError {
  path: string;
  message: string;
}

/**
 * One readable entry per problem. Paths are dotted (`payload.items.0`); an unknown
 * field becomes one entry per field so each can be fixed on its own.
 */
export function toFieldErrors(issues: readonly z.core.$ZodIssue[], prefix?: string): FieldError[] {
  const join = (path: readonly PropertyKey[]) =>
    [prefix, ...path.map(String)].filter((part) => part !== undefined && part !== '').join('.');
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      // A schema's own message (e.g. which fields it takes) beats the generic one.
      const message = issue.message.startsWith('Unrecognized key') ? 'is not a known field' : issue.message;
      return issue.keys.map((key) => ({ path: join([...issue.path, key]), message }));
    }
    return [{ path: join(issue.path), message: describe(issue) }];
  });
}

function describe(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      // A schema's own message (the expected format, say) is kept; zod's defaults are reworded.
      // zod 4 does not report the input; its message ends "received undefined" for a missing field.
      if (!issue.message.startsWith('Invalid input')) return issue.message;
      return issue.message.endsWith('received undefined') ? 'is required' : `must be ${article(issue.expected)}`;
    case 'too_small':
      return issue.origin === 'string'
        ? `must be at least ${issue.minimum} character${issue.minimum === 1 ? '' : 's'} long`
        : issue.origin === 'array'
          ? `must have at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}`
          : `must be at least ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'string'
        ? `must be at most ${issue.maximum} characters long`
        : issue.origin === 'array'
          ? `must have at most ${issue.maximum} items`
          : `must be at most ${issue.maximum}`;
    default:
      return issue.message;
  }
}

const article = (expected: string) =>
  expected === 'object' || expected === 'array' || expected === 'integer' ? `an ${expected}` : `a ${expected}`;
