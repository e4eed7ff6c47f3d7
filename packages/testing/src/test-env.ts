/**
 * Where tests run: the machine's PostgreSQL and Redis, a database of their own, and a
 * Redis database of their own, so a developer's `npm start` data is left alone.
 */
const baseDatabaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/sluice';
const baseRedisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

export const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? withDatabase(baseDatabaseUrl, 'sluice_test');
export const testRedisUrl = process.env.TEST_REDIS_URL ?? `${baseRedisUrl.replace(/\/\d*$/, '')}/15`;
export const testOperatorKey = 'test-operator-key-0123456789abcdefghijklmnop';

/** The environment a Sluice process under test gets. */
export const testProcessEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  ...(process.env as Record<string, string>),
  NODE_ENV: 'test',
  DATABASE_URL: testDatabaseUrl,
  REDIS_URL: testRedisUrl,
  OPERATOR_API_KEY: testOperatorKey,
  LOG_LEVEL: 'warn',
  ...extra,
});
