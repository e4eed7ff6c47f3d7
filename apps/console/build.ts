import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';
import { consoleDistDir, consoleRoot } from './paths.ts';

/**
 * Builds the console and portal pages into dist/ when a source is newer than the last build
 * (npm start and the test setup call this; `--force` always builds).
 */
const stampFile = join(consoleDistDir, '.built');
// The SDK is bundled into the pages: a change to it (or to its generated code) rebuilds them too.
const sources = ['src', 'console.html', 'portal.html', 'vite.config.ts', 'package.json', '../../packages/sdk/src'];

function newestSourceMs(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestSourceMs(join(path, name))));
}

export async function buildConsole(options: { force?: boolean } = {}): Promise<boolean> {
  const newest = Math.max(...sources.map((name) => newestSourceMs(join(consoleRoot, name))));
  if (!options.force && existsSync(stampFile) && statSync(stampFile).mtimeMs >= newest) return false;
  await build({ configFile: join(consoleRoot, 'vite.config.ts') });
  writeFileSync(stampFile, new Date().toISOString());
  return true;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const built = await buildConsole({ force: process.argv.includes('--force') });
  console.log(built ? 'console built into apps/console/dist' : 'console is up to date');
}
