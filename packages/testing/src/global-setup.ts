import { runMigrations } from '@sluice/db/migrate';
import pg from 'pg';
import { testDatabaseUrl } from './test-env.ts';

/** Each run starts from an empty, freshly migrated test database. */
export default async function setup() {
  const admin = new URL(testDatabaseUrl);
  const name = admin.pathname.slice(1);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await client.end();
  }
  await runMigrations(testDatabaseUrl);
}
