import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { settings } from './settings.ts';

/**
 * Child processes of the bench: the API, the worker, fauxqs, the ceiling server and a
 * private redis-server. Each runs as its own OS process, as in production, so no two of
 * them share an event loop; the bench talks to the Node ones over an IPC channel.
 */

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const benchFile = (name: string) => fileURLToPath(new URL(name, import.meta.url));

export interface BenchProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  output(): string;
  /** Sends a message over IPC and resolves with the first answer of the same type. */
  ask<T>(type: string, extra?: Record<string, unknown>): Promise<T>;
  /** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  /** A TypeScript entry, run with tsx like `npm start` does. */
  entry: string;
  env: Record<string, string>;
  /** Ready once the output matches (or an IPC message of type 'ready' arrives). */
  ready: RegExp;
  /** Extra modules loaded before the entry (e.g. the client-call counters). */
  preload?: string[];
  timeoutMs?: number;
}

export async function spawnNode(options: SpawnOptions): Promise<BenchProcess> {
  const preload = (options.preload ?? []).flatMap((path) => ['--import', path]);
  const profile = settings.cpuProfileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${settings.cpuProfileDir}/${options.name}`]
    : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', ...preload, options.entry], {
    cwd: repoRoot,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  let readyByMessage = false;
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    // Only the tail matters for diagnostics; a chatty process must not grow the bench's heap.
    if (output.length > 64_000) output = output.slice(-32_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('message', (message: { type?: string }) => {
    if (message?.type === 'ready') readyByMessage = true;
  });
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (!readyByMessage && !options.ready.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name} did not start:\n${output.slice(-4_000)}`);
    }
    await sleep(50);
  }
  return wrap(options.name, child, () => output);
}

function wrap(name: string, child: ChildProcess, output: () => string): BenchProcess {
  let asked = 0;
  return {
    name,
    child,
    pid: child.pid ?? -1,
    output,
    ask<T>(type: string, extra: Record<string, unknown> = {}) {
      const id = ++asked;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          child.off('message', onMessage);
          reject(new Error(`${name} did not answer ${type}`));
        }, 10_000);
        const onMessage = (message: { type?: string; id?: number; body?: T }) => {
          if (message?.type !== type || message.id !== id) return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve(message.body as T);
        };
        child.on('message', onMessage);
        child.send({ type, id, ...extra });
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Answers the bench's IPC questions in a child: `handlers[type]` makes the body of the answer. */
export function answerBench(handlers: Record<string, (message: Record<string, unknown>) => unknown>): void {
  process.on('message', async (message: { type?: string; id?: number }) => {
    const handler = message?.type ? handlers[message.type] : undefined;
    if (!handler) return;
    const body = await handler(message as Record<string, unknown>);
    process.send?.({ type: message.type, id: message.id, body });
  });
  // The channel must not keep a child alive after its own shutdown.
  process.channel?.unref();
}

/** A port that was free a moment ago, on loopback. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
