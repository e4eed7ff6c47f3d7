import { InvalidArgumentError } from '@commander-js/extra-typings';
import { createSluice, type Sluice } from '../client.ts';
import { type Cell, type CliStream, formatFields, formatTable } from './output.ts';

export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  stdin: AsyncIterable<string | Uint8Array> & { isTTY?: boolean };
  /** Aborted on SIGINT: long-running commands (tail, replay-all) stop and exit 0. */
  signal: AbortSignal;
}

export interface GlobalOptions {
  url: string;
  apiKey?: string | undefined;
  json?: boolean | undefined;
}

/** A mistake in how the CLI was called (exit code 2), as opposed to a refusal by the API (1). */
export class UsageError extends Error {}

export interface CliContext {
  sluice: Sluice;
  json: boolean;
  io: CliIo;
  /** Prints a value as JSON (`--json`) or as the human form given. */
  show(value: unknown, human: () => string): void;
  table(items: unknown[], headers: string[], row: (index: number) => Cell[]): void;
  fields(value: Record<string, unknown>): void;
  /** A line for people on stderr (progress, notes): never mixed into --json output. */
  note(text: string): void;
  /** Marks the run failed (exit code 1) without stopping it. */
  fail(): void;
}

export function createContext(options: GlobalOptions, io: CliIo, exit: { code: number }): CliContext {
  if (!options.apiKey) throw new UsageError('No API key: pass --api-key or set SLUICE_API_KEY.');
  const json = options.json === true;
  const sluice = createSluice({ baseUrl: options.url, apiKey: options.apiKey });
  const out = (text: string) => io.stdout.write(`${text}\n`);
  const show = (value: unknown, human: () => string) => out(json ? JSON.stringify(value, null, 2) : human());
  return {
    sluice,
    json,
    io,
    show,
    table: (items, headers, row) =>
      show(items, () =>
        items.length
          ? formatTable(
              headers,
              items.map((_, index) => row(index)),
            )
          : '(none)',
      ),
    fields: (value) => show(value, () => formatFields(value)),
    note: (text) => io.stderr.write(`${text}\n`),
    fail: () => {
      exit.code = 1;
    },
  };
}

/** `--limit` items from a page iterator: at most that many, `0` for all of them. */
export async function collect<Item>(items: AsyncIterable<Item>, limit: number): Promise<Item[]> {
  const collected: Item[] = [];
  if (limit < 0) return collected;
  for await (const item of items) {
    collected.push(item);
    if (limit > 0 && collected.length >= limit) break;
  }
  return collected;
}

export const pageSize = (limit: number) => (limit > 0 && limit < 200 ? limit : 200);

/** commander's parser for numeric options. */
export function integer(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new InvalidArgumentError('must be a whole number');
  return number;
}

/** Waits, or less when the run is stopped (Ctrl-C): the caller then sees the signal aborted. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
