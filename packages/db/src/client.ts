import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';

/**
 * How Sluice writes SQL (one way per kind of statement):
 * - the drizzle query builder for plain reads and writes of one table (tenants, keys,
 *   destinations, list pages);
 * - plain SQL with positional parameters, as a named prepared statement, for the hot and
 *   multi-table statements (ingest, fan-out, claims, outcomes, replays, dead-lettering): one
 *   array per column through unnest, so a statement's text does not grow with its batch.
 * Both go through an Executor, which is either the pool or one transaction's connection:
 * repositories take it as a parameter and services decide where transactions begin and end.
 */
export type Database = NodePgDatabase;

export interface Executor {
  db: Database;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    statement: string | pg.QueryConfig,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
}

function executorOver(target: pg.Pool | pg.PoolClient): Executor {
  return { db: drizzle(target), query: (statement, values) => target.query(statement, values) };
}

export interface DatabaseHandle {
  pool: pg.Pool;
  /** The pool as an executor: each statement in its own transaction. */
  executor: Executor;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Executor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function connectDatabase(url: string, options: { max?: number; applicationName?: string } = {}): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'sluice',
    // A stalled database must surface as an error (503, retry) rather than a hang.
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client that loses its connection emits 'error' on the pool; without a
  // listener that would crash the process. The next query reports the problem instead.
  pool.on('error', () => {});
  const executor = executorOver(pool);

  return {
    pool,
    executor,
    async transaction(work) {
      const client = await pool.connect();
      let failure: unknown;
      try {
        await client.query('begin');
        const result = await work(executorOver(client));
        await client.query('commit');
        return result;
      } catch (error) {
        failure = error;
        await client.query('rollback').catch(() => {});
        throw error;
      } finally {
        // A connection that failed mid-transaction is not handed to the next caller.
        client.release(failure instanceof Error && !('severity' in failure) ? failure : undefined);
      }
    },
    close: () => pool.end(),
  };
}
