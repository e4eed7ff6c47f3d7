import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './service-process.ts';

/**
 * A PostgreSQL cluster of a test's own (initdb into a temporary directory, a free loopback
 * port), so a test can crash it under load and start it again without touching the machine's
 * server. The binaries come from PG_BIN (default: Debian's PostgreSQL 15). PostgreSQL refuses
 * to run as root, so as root the cluster runs as the `postgres` user.
 */
export interface PrivatePostgres {
  /** A URL of the cluster's `sluice` database (created by the migrations). */
  url: string;
  /** Aborts every server process at once, as a crash does (pg_ctl's immediate mode): recovery at the next start. */
  crash(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const run = promisify(execFile);
const pgBin = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const user = await postgresUser();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const port = await freePort();
  const pg = (tool: string, args: string[]) =>
    user ? run('runuser', ['-u', 'postgres', '--', join(pgBin, tool), ...args]) : run(join(pgBin, tool), args);
  // Durability settings off: a test crashes the server processes, not the machine, so the
  // operating system keeps every write; what the test checks is what PostgreSQL recovers.
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c full_page_writes=off`;

  await pg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const start = async () => {
    await pg('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', options, '-w', 'start']);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/sluice`,
    crash: async () => {
      await pg('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    },
    start,
    async stop() {
      await pg('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
