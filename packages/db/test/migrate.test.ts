import { runMigrations, withAdminClient } from '@sluice/db/migrate';
import { testDatabaseUrl } from '@sluice/testing/test-env';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

const scratchName = `sluice_migrate_${process.pid}`;
const scratchUrl = (() => {
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${scratchName}`;
  return url.toString();
})();

const dropScratch = () =>
  withAdminClient(scratchUrl, (client, name) => client.query(`drop database if exists "${name}" with (force)`));

afterAll(dropScratch);

describe('migrations', () => {
  it('create the database, and are safe from several processes at once and when run again', async () => {
    await dropScratch();
    await Promise.all([runMigrations(scratchUrl), runMigrations(scratchUrl), runMigrations(scratchUrl)]);
    await runMigrations(scratchUrl);
    const client = new pg.Client({ connectionString: scratchUrl });
    await client.connect();
    try {
      const tables = await client.query("select tablename from pg_tables where schemaname = 'public' order by 1");
      expect(tables.rows.map((r) => r.tablename)).toEqual(expect.arrayContaining(['api_keys', 'events', 'tenants']));
      const applied = await client.query('select count(*)::int as n from drizzle.__drizzle_migrations');
      const files = (await import('node:fs'))
        .readdirSync(new URL('../migrations', import.meta.url))
        .filter((f) => f.endsWith('.sql'));
      expect(applied.rows[0].n).toBe(files.length);
    } finally {
      await client.end();
    }
  });
});
