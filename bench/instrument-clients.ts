import { Redis } from 'ioredis';
import pg from 'pg';
import { answerBench } from './processes.ts';

/**
 * Loaded with `--import` into the API and worker processes of the bench (never in
 * production): counts every PostgreSQL statement and Redis command the process sends.
 * pg_stat_statements would count statements on the server, but it needs
 * shared_preload_libraries, which the machine's PostgreSQL does not load; counting in the
 * client is exact for Sluice's own processes and needs no server change.
 */

const statements = new Map<string, number>();
const redisCommands = new Map<string, number>();

/** One key per statement shape: the start of the SQL with its whitespace collapsed. */
function statementKey(config: unknown): string {
  const text = typeof config === 'string' ? config : (config as { text?: string } | null)?.text;
  if (!text) return '(unknown)';
  return text.replace(/\s+/g, ' ').trim().slice(0, 72).toLowerCase();
}

const originalQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
  const key = statementKey(args[0]);
  statements.set(key, (statements.get(key) ?? 0) + 1);
  return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof pg.Client.prototype.query;

type SendCommand = (command: { name: string }, ...rest: unknown[]) => unknown;
const redisPrototype = Redis.prototype as unknown as { sendCommand: SendCommand };
const originalSendCommand = redisPrototype.sendCommand;
redisPrototype.sendCommand = function countedSendCommand(this: Redis, command, ...rest) {
  redisCommands.set(command.name, (redisCommands.get(command.name) ?? 0) + 1);
  return originalSendCommand.call(this, command, ...rest);
};

export interface ClientCounters {
  statements: Record<string, number>;
  redisCommands: Record<string, number>;
}

answerBench({
  'client-counters': (): ClientCounters => ({
    statements: Object.fromEntries(statements),
    redisCommands: Object.fromEntries(redisCommands),
  }),
});
