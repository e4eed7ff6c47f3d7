import jsonata from 'jsonata';

/**
 * One process of the transform pool (transform-runner.ts): compiles JSONata expressions (each
 * once per process, cached by its text) and evaluates them on events, one at a time. jsonata's
 * own guardrails stop an evaluation that runs past its time budget or nests too deeply at its
 * next step; what blocks inside one step (a catastrophic regular expression, a huge $pad) or
 * runs out of memory is stopped by the runner killing this process.
 *
 * Self-contained on purpose (jsonata only): it runs under plain Node with type stripping as
 * well as under tsx.
 */

export interface TransformTask {
  id: number;
  expression: string;
  input: unknown;
}

export type TransformAnswer =
  | { id: number; ok: true; json: string; kind: string }
  | { id: number; ok: false; message: string };

const MAX_CACHED_EXPRESSIONS = 1_000;

function isTask(value: unknown): value is TransformTask {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof Reflect.get(value, 'id') === 'number' &&
    typeof Reflect.get(value, 'expression') === 'string'
  );
}

/** jsonata throws plain objects ({ code, message, position, token }) as often as Errors. */
function describeError(error: unknown, budgetMs: number): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const code = Reflect.get(error, 'code');
  const message = Reflect.get(error, 'message');
  const position = Reflect.get(error, 'position');
  if (code === 'D1012') return `The transform ran over its time budget of ${budgetMs} ms.`;
  const text = typeof message === 'string' && message ? message : 'The expression failed.';
  if (typeof code !== 'string') return text;
  return typeof position === 'number'
    ? `${text} (JSONata ${code} at position ${position})`
    : `${text} (JSONata ${code})`;
}

/** jsonata's lambdas and built-in functions are objects marked like this, not JavaScript functions. */
function isJsonataFunction(value: unknown): boolean {
  if (typeof value === 'function') return true;
  if (typeof value !== 'object' || value === null) return false;
  return Reflect.get(value, '_jsonata_lambda') === true || Reflect.get(value, '_jsonata_function') === true;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

const [budgetArgument, depthArgument] = process.argv.slice(2);
const budgetMs = Number(budgetArgument);
const maxDepth = Number(depthArgument);
const parent = process.send?.bind(process);
// A parent gone mid-answer (EPIPE) leaves nothing to do: exit rather than throw.
const send = parent && ((message: unknown) => parent(message, undefined, {}, (error) => error && process.exit(0)));

if (send && budgetMs > 0 && maxDepth > 0) {
  const compiled = new Map<string, jsonata.Expression>();

  const compile = (expression: string): jsonata.Expression => {
    const cached = compiled.get(expression);
    if (cached) return cached;
    const fresh = jsonata(expression, { timeout: budgetMs, stack: maxDepth });
    compiled.set(expression, fresh);
    if (compiled.size > MAX_CACHED_EXPRESSIONS) {
      const oldest = compiled.keys().next();
      if (!oldest.done) compiled.delete(oldest.value);
    }
    return fresh;
  };

  async function run(task: TransformTask): Promise<TransformAnswer> {
    try {
      const result: unknown = await compile(task.expression).evaluate(task.input);
      if (result === undefined) {
        return { id: task.id, ok: false, message: 'The transform yielded nothing for this event.' };
      }
      if (isJsonataFunction(result)) {
        return { id: task.id, ok: false, message: 'The transform yielded a function, which is not JSON.' };
      }
      return { id: task.id, ok: true, json: JSON.stringify(result), kind: kindOf(result) };
    } catch (error) {
      return { id: task.id, ok: false, message: describeError(error, budgetMs) };
    }
  }

  process.on('message', (message: unknown) => {
    if (!isTask(message)) return;
    run(message).then((answer) => send(answer));
  });
  // The parent is gone (crashed, killed): nothing is left to answer to.
  process.on('disconnect', () => process.exit(0));
  send({ ready: true });
}
