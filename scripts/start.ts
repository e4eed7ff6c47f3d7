import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from '@sluice/config/env';
import { buildConsole } from '@sluice/console/build';
import { runMigrations } from '@sluice/db/migrate';

/**
 * `npm start`: applies migrations, then runs the API and the workers as two processes
 * (they scale separately in production). SIGINT/SIGTERM is passed to both, which finish
 * their in-flight work; if either dies, the other is stopped too.
 */
const config = loadConfigOrExit();
await runMigrations(config.DATABASE_URL);
// The web console's pages, built from the repository when their sources changed (a second or two).
await buildConsole();

const entry = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const children = new Map<string, ChildProcess>();
let exitCode = 0;

function run(name: string, path: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', entry(path)], { stdio: 'inherit', env: process.env });
  children.set(name, child);
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      console.error(`${name} exited (${signal ?? code}); stopping the rest`);
      exitCode = code || 1;
      stop('SIGTERM');
    }
    if (children.size === 0) process.exit(exitCode);
  });
}

let stopping = false;
function stop(signal: NodeJS.Signals) {
  stopping = true;
  for (const child of children.values()) child.kill(signal);
}
process.on('SIGINT', () => stop('SIGTERM'));
process.on('SIGTERM', () => stop('SIGTERM'));

run('api', 'apps/api/src/main.ts');
run('worker', 'apps/worker/src/main.ts');
