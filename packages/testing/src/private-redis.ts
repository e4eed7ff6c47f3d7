import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from './service-process.ts';

/**
 * A redis-server of a test's own, on a free loopback port, nothing kept on disk: a test may
 * freeze it (SIGSTOP: it keeps its connections but answers nothing, like a Redis that hangs),
 * thaw it, or stop it, without disturbing anyone else's Redis.
 */
export interface PrivateRedis {
  url: string;
  pid: number;
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
}

/** On a free port, or on `port` (a test that first needs nothing to listen there, then Redis). */
export async function startPrivateRedis(port?: number): Promise<PrivateRedis> {
  port ??= await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  const deadline = Date.now() + 10_000;
  while (!output.includes('Ready to accept connections')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    freeze: () => child.kill('SIGSTOP'),
    thaw: () => child.kill('SIGCONT'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
