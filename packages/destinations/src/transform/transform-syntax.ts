import jsonata from 'jsonata';

/**
 * Parses a JSONata expression (on the calling thread: parsing is linear in the text, only
 * evaluation can run away) and words the parser's complaint with its position, for the 400
 * that a create or PATCH with a broken expression answers.
 */
export function expressionProblem(expression: string): string | null {
  try {
    jsonata(expression);
    return null;
  } catch (error) {
    // A nesting deep enough to overflow the parser's stack is refused like any syntax error.
    if (error instanceof RangeError) return 'is nested too deeply to parse';
    if (typeof error !== 'object' || error === null) return `does not parse: ${String(error)}`;
    const message = Reflect.get(error, 'message');
    const position = Reflect.get(error, 'position');
    const code = Reflect.get(error, 'code');
    const text = typeof message === 'string' && message ? message : 'is not a JSONata expression';
    const where = typeof position === 'number' ? ` at position ${position}` : '';
    const coded = typeof code === 'string' ? ` (JSONata ${code})` : '';
    return `does not parse${where}: ${text}${coded}`;
  }
}
