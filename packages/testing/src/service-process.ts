import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { testProcessEnv } from './test-env.ts';

/** A real Sluice process (the API or the worker), for tests that kill, stop or restart it. */
export interface ServiceProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

const entries = {
  api: fileURLToPath(new URL('../../../apps/api/src/main.ts', import.meta.url)),
  worker: fileURLToPath(new URL('../../../apps/worker/src/main.ts', import.meta.url)),
};

/** A port nobody listens on right now, for a child process to take. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts the process and waits until its log says it is up (or it dies trying). */
export async function startServiceProcess(
  kind: keyof typeof entries,
  env: Record<string, string>,
  readyLine = kind === 'api' ? 'Server listening' : 'workers started',
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', entries[kind]], {
    env: testProcessEnv({ WORKER_METRICS_PORT: '0', LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  // Generous: tsx compiles on start, and a shared 2-core machine can be slow.
  const deadline = Date.now() + 45_000;
  while (!output.includes(readyLine)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      // Not left running on a slow start: an orphaned worker would take the next tests' jobs.
      child.kill('SIGKILL');
      throw new Error(`${kind} did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, output: () => output, exited, kill: (signal) => child.kill(signal) };
}
