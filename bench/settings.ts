/**
 * Every environment variable the bench reads, in one place. The bench is not a turbo task,
 * so these do not belong in turbo.json's env lists.
 */
const { env } = process;

export const settings = {
  /** BENCH_QUICK=1: every phase shortened, for a smoke test (figures not comparable). */
  quick: env.BENCH_QUICK === '1',
  /** BENCH_CPU_PROF=<dir>: every child process writes V8 CPU profiles to <dir>/<name> when it exits. */
  cpuProfileDir: env.BENCH_CPU_PROF,
  /** The bench's own database, dropped and re-created at every run; must be named sluice_bench*. */
  databaseUrl: env.BENCH_DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/sluice_bench',
  /** For the ingest ceiling's process: where and for which tenant it stores events. */
  ceilingDatabaseUrl: env.DATABASE_URL,
  ceilingTenantId: env.BENCH_TENANT_ID ?? '',
};
