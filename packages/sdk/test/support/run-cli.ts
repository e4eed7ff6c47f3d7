import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { runCli } from '@sluice/sdk/cli/main';

/** The `sluice` CLI as a user runs it: its bin in a process of its own, Node stripping its types. */
const bin = resolve(import.meta.dirname, '../../bin/sluice.ts');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has ended. */
  done: Promise<CliRun>;
}

export function startCli(args: string[], env: Record<string, string>, input?: string): CliProcess {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  child.stdin?.end(input ?? '');
  const done = new Promise<CliRun>((resolveRun) => {
    child.on('close', (code) => resolveRun({ code, stdout, stderr }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

export const cli = (args: string[], env: Record<string, string>, input?: string) => startCli(args, env, input).done;

/** The same CLI in this process (faster for the many short commands): what it prints, and its exit code. */
export async function cliInProcess(args: string[], input = ''): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: Readable.from([input]),
    signal: new AbortController().signal,
  });
  return { code, stdout, stderr };
}
