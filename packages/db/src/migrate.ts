import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';

const migrationsFolder = fileURLToPath(new URL('../migrations', import.meta.url));

// Any constant shared by every Sluice process; the migrator itself takes no lock.
const MIGRATION_LOCK_ID = 7_301_994_113;

/** Runs `work` on the server's `postgres` database, with the name of the URL's own database. */
export async function withAdminClient<T>(
  url: string,
  work: (client: pg.Client, name: string) => Promise<T>,
): Promise<T> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name) throw new Error('DATABASE_URL must name a database');
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    return await work(client, name);
  } finally {
    await client.end();
  }
}

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Creates the database named in the URL when it does not exist yet. */
export async function ensureDatabase(url: string): Promise<void> {
  await withAdminClient(url, async (client, name) => {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) return;
    await client.query(`create database ${quoted(name)}`).catch((error: { code?: string }) => {
      // 42P04 duplicate_database / 23505: another process created it first.
      if (error.code !== '42P04' && error.code !== '23505') throw error;
    });
  });
}

/** Drops the URL's database and migrates a new one: for test and bench runs that start empty. */
export async function recreateDatabase(url: string): Promise<void> {
  await withAdminClient(url, (client, name) => client.query(`drop database if exists ${quoted(name)} with (force)`));
  await runMigrations(url);
}

/**
 * Applies every pending migration. Safe to run twice and from several processes at
 * once: an advisory lock serialises them, and the second finds nothing left to apply.
 */
export async function runMigrations(url: string): Promise<void> {
  await ensureDatabase(url);
  const client = new pg.Client({ connectionString: url, application_name: 'sluice-migrate' });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    await migrate(drizzle(client), { migrationsFolder });
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => {});
    await client.end();
  }
}
