import { buildConsole } from '@sluice/console/build';
import { recreateDatabase } from '@sluice/db/migrate';
import { testDatabaseUrl } from './test-env.ts';

/** Each run starts from an empty, freshly migrated test database. */
export default async function setup() {
  await Promise.all([recreateDatabase(testDatabaseUrl), buildConsole()]);
}
