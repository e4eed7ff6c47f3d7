import { loadConfigOrExit } from '@sluice/config/env';
import { runMigrations } from './migrate.ts';

const config = loadConfigOrExit();
try {
  await runMigrations(config.DATABASE_URL);
  console.log('migrations applied');
} catch (error) {
  console.error('migration failed:', error instanceof Error ? error.message : error);
  process.exit(1);
}
