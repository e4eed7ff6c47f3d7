import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from '@sluice/config/env';
import { buildConsole } from '@sluice/console/build';
import { runMigrations } from '@sluice/db/migrate';

/**
 * `npm start`: applies migrations, then runs the API and the workers as two processes
 * (they scale separately in production). SIGINT/SIGTERM is passed to both, which finish
 * their in-flight work. A process that dies is started again, after a pause that grows while
 * it keeps dying at once; the other one goes on serving meanwhile.
 */
const config = loadConfigOrExit();
await runMigrations(config.DATABASE_URL);
// The web console's pages, built from the repository when their sources changed (a second or two).
await buildConsole();

const entry = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const children = new Map<string, ChildProcess>();
const restartTimers = new Map<string, NodeJS.Timeout>();
const quickDeaths = new Map<string, number>();
// A process that ran this long before dying was healthy: its next restart is immediate again.
const HEALTHY_RUN_MS = 60_000;
const MAX_RESTART_DELAY_MS = 30_000;
let stopping = false;

function run(name: string, path: string) {
  restartTimers.delete(name);
  const startedAt = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', entry(path)], { stdio: 'inherit', env: process.env });
  children.set(name, child);
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (stopping) {
      if (children.size === 0) process.exit(0);
      return;
    }
    const deaths = Date.now() - startedAt > HEALTHY_RUN_MS ? 0 : (quickDeaths.get(name) ?? 0) + 1;
    quickDeaths.set(name, deaths);
    const delay = deaths === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 500 * 2 ** (deaths - 1));
    console.error(`${name} exited (${signal ?? code}); starting it again in ${delay} ms`);
    restartTimers.set(
      name,
      setTimeout(() => run(name, path), delay),
    );
  });
}

function stop() {
  if (stopping) return;
  stopping = true;
  for (const timer of restartTimers.values()) clearTimeout(timer);
  restartTimers.clear();
  if (children.size === 0) process.exit(0);
  for (const child of children.values()) child.kill('SIGTERM');
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

run('api', 'apps/api/src/main.ts');
run('worker', 'apps/worker/src/main.ts');
