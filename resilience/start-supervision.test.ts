import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { freePort } from '@sluice/testing/service-process';
import { waitFor } from '@sluice/testing/stack';
import { testProcessEnv } from '@sluice/testing/test-env';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm start` (scripts/start.ts) runs the API and the worker: when one of them dies, it is
 * started again and the other goes on; SIGTERM still stops both.
 */
const startScript = fileURLToPath(new URL('../scripts/start.ts', import.meta.url));
let start: ChildProcess | undefined;
afterAll(() => {
  start?.kill('SIGKILL');
});

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The pids of the processes whose log lines say `msg` (pino writes the pid and name on each line). */
function pidsOf(output: string, name: string, msg: string): number[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes(`"name":"${name}"`) && line.includes(msg))
    .map((line) => (JSON.parse(line) as { pid: number }).pid);
}

describe('npm start', () => {
  it('starts a process that died again, and leaves the other one alone', async () => {
    const port = await freePort();
    let output = '';
    start = spawn(process.execPath, ['--import', 'tsx', startScript], {
      env: testProcessEnv({ PORT: String(port), WORKER_METRICS_PORT: '0', LOG_LEVEL: 'info' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    start.stdout?.on('data', (chunk) => (output += chunk));
    start.stderr?.on('data', (chunk) => (output += chunk));
    const exited = once(start, 'exit');

    await waitFor(async () => pidsOf(output, 'api', 'Server listening').length > 0, 60_000);
    await waitFor(async () => pidsOf(output, 'worker', 'workers started').length > 0, 60_000);
    const [api] = pidsOf(output, 'api', 'Server listening');
    const [worker] = pidsOf(output, 'worker', 'workers started');

    process.kill(api!, 'SIGKILL');
    await waitFor(async () => pidsOf(output, 'api', 'Server listening').length > 1, 60_000);
    expect(output).toContain('api exited (SIGKILL); starting it again');
    const [, restarted] = pidsOf(output, 'api', 'Server listening');
    expect(restarted).not.toBe(api);
    expect(isAlive(worker!)).toBe(true);
    expect(pidsOf(output, 'worker', 'workers started')).toEqual([worker]);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

    start.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(isAlive(restarted!)).toBe(false);
    expect(isAlive(worker!)).toBe(false);
  });
});
