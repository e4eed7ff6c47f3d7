import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TransformAnswer, TransformTask } from './transform-child.ts';

/**
 * Evaluates transforms in a small pool of child processes, never in the process that drains
 * destinations. jsonata's `evaluate` has no deadline that covers everything: its guardrails
 * (like the __evaluate_entry hooks they are built on) run between steps, so a step that blocks
 * (a regular expression that backtracks for minutes, `$pad` to a billion characters) would stall
 * every drain and request of the process. Each evaluation has a budget inside its child, and a
 * watchdog here: past budget + grace the child is killed and replaced, and the evaluation fails.
 * Processes rather than worker threads because memory is the other runaway: a worker thread
 * that builds one huge string aborts the whole process (V8 "Reached heap limit" inside a single
 * native join), while a child that does only ends itself.
 */

export type TransformResult =
  | { ok: true; json: string; kind: string }
  | { ok: false; message: string; timedOut?: boolean };

export interface TransformRunner {
  readonly budgetMs: number;
  /** Never rejects: a failing, slow or crashing evaluation answers `ok: false` with a message. */
  evaluate(expression: string, input: unknown): Promise<TransformResult>;
  /** How many evaluations of one batch may run at once, leaving a child for other destinations. */
  readonly perBatchConcurrency: number;
  close(): Promise<void>;
}

export interface TransformRunnerOptions {
  /** Child processes (default 2). */
  processes?: number;
  /** Time one evaluation may take (jsonata's own guardrail, between steps). */
  budgetMs?: number;
  /** Extra time before the watchdog kills a child blocked inside one step. */
  graceMs?: number;
  /** Nesting of jsonata evaluation frames (runaway recursion). */
  maxDepth?: number;
  /** A child's JavaScript heap; a transform that needs more fails alone. */
  maxHeapMb?: number;
}

// Generous for a large event on a busy machine (copying 1 MiB takes tens of ms), yet a runaway costs a
// round at most this per message, and a round stops starting evaluations after TRANSFORM_ROUND_BUDGET_MS.
export const DEFAULT_TRANSFORM_BUDGET_MS = 1_000;

interface Pending {
  task: Omit<TransformTask, 'id'>;
  resolve(result: TransformResult): void;
}

interface Slot {
  child: ChildProcess;
  ready: boolean;
  running: (Pending & { id: number; timer: NodeJS.Timeout }) | null;
}

function isAnswer(value: unknown): value is TransformAnswer {
  return typeof value === 'object' && value !== null && typeof Reflect.get(value, 'id') === 'number';
}

export function createTransformRunner(options: TransformRunnerOptions = {}): TransformRunner {
  const size = Math.max(1, options.processes ?? 2);
  const budgetMs = options.budgetMs ?? DEFAULT_TRANSFORM_BUDGET_MS;
  const graceMs = options.graceMs ?? 500;
  const childArgs = [String(budgetMs), String(options.maxDepth ?? 1_000)];
  const childFile = fileURLToPath(new URL('./transform-child.ts', import.meta.url));
  const slots = new Set<Slot>();
  const queue: Pending[] = [];
  let nextId = 0;
  let closed = false;

  function settle(slot: Slot, result: TransformResult): void {
    const running = slot.running;
    if (!running) return;
    clearTimeout(running.timer);
    slot.running = null;
    idle(slot.child);
    running.resolve(result);
  }

  /** The child is gone (killed, crashed, out of memory): its evaluation fails, a new child takes its place. */
  function retire(slot: Slot, result: TransformResult): void {
    if (!slots.delete(slot)) return;
    settle(slot, result);
    slot.child.kill('SIGKILL');
    dispatch();
  }

  function spawn(): Slot {
    const child = fork(childFile, childArgs, {
      // Expressions cannot reach the environment anyway; nothing secret is handed down to be safe.
      env: {},
      execArgv: [...process.execArgv, `--max-old-space-size=${options.maxHeapMb ?? 256}`],
      // An out-of-memory child prints V8's report on stderr: it is expected, and not Sluice's log.
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      serialization: 'advanced',
    });
    // Referenced while it starts: work is waiting for it.
    const slot: Slot = { child, ready: false, running: null };
    child.on('message', (message: unknown) => {
      if (isAnswer(message)) {
        if (slot.running?.id !== message.id) return;
        settle(
          slot,
          message.ok ? { ok: true, json: message.json, kind: message.kind } : { ok: false, message: message.message },
        );
      } else {
        slot.ready = true;
        idle(child);
      }
      dispatch();
    });
    child.on('error', (error) => retire(slot, { ok: false, message: `The transform could not run: ${error.message}` }));
    // V8 aborts a child out of heap (SIGABRT, or exit code 134).
    child.on('exit', (code, signal) =>
      retire(slot, {
        ok: false,
        message:
          signal === 'SIGABRT' || code === 134
            ? `The transform used more than the ${options.maxHeapMb ?? 256} MiB a transform may.`
            : 'The transform stopped before it answered.',
      }),
    );
    slots.add(slot);
    return slot;
  }

  function start(slot: Slot, pending: Pending): void {
    const id = ++nextId;
    const timer = setTimeout(
      () =>
        retire(slot, {
          ok: false,
          timedOut: true,
          message: `The transform ran over its time budget of ${budgetMs} ms.`,
        }),
      budgetMs + graceMs,
    );
    slot.running = { ...pending, id, timer };
    busy(slot.child);
    slot.child.send({ id, ...pending.task } satisfies TransformTask);
  }

  function dispatch(): void {
    if (closed) return;
    for (const slot of slots) {
      if (queue.length === 0) return;
      if (slot.ready && !slot.running) start(slot, queue.shift()!);
    }
    // The whole pool starts at the first need: a child takes a moment to start, and one blocked
    // child must find the others ready. Children still starting take the queue when ready.
    if (queue.length > 0) while (slots.size < size) spawn();
  }

  return {
    budgetMs,
    perBatchConcurrency: Math.max(1, size - 1),
    evaluate(expression, input) {
      if (closed) return Promise.resolve({ ok: false, message: 'Transforms are shutting down.' });
      return new Promise((resolve) => {
        queue.push({ task: { expression, input }, resolve });
        dispatch();
      });
    },
    async close() {
      closed = true;
      for (const pending of queue.splice(0)) pending.resolve({ ok: false, message: 'Transforms are shutting down.' });
      const all = [...slots];
      slots.clear();
      for (const slot of all) {
        settle(slot, { ok: false, message: 'Transforms are shutting down.' });
        slot.child.kill('SIGKILL');
      }
    },
  };
}

/** An idle child (and its IPC channel) must not keep this process alive; a busy one must. */
function idle(child: ChildProcess): void {
  child.unref();
  child.channel?.unref();
}

function busy(child: ChildProcess): void {
  child.ref();
  child.channel?.ref();
}

let shared: TransformRunner | undefined;

/** The process's pool: started on the first transform, its children idle and unreferenced between them. */
export function sharedTransformRunner(): TransformRunner {
  shared ??= createTransformRunner();
  return shared;
}
