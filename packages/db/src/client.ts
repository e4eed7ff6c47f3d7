import type { Config } from '@sluice/config/env';
import { parseJsonExact } from '@sluice/contracts/lossless-json';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';

// jsonb keeps numbers exactly, and so does reading it back (an integer beyond 2^53 in an
// event's payload reaches the destination digit for digit). Set on pg's global registry:
// drizzle asks it for every type it does not convert itself.
pg.types.setTypeParser(pg.types.builtins.JSONB, parseJsonExact);
pg.types.setTypeParser(pg.types.builtins.JSON, parseJsonExact);

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

export interface DatabaseHandle {
  pool: pg.Pool;
  /** The pool as an executor: each statement in its own transaction. */
  executor: Executor;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Executor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  max?: number;
  applicationName?: string;
  /** PostgreSQL cancels a statement running longer; a connection silent for a second more fails too. */
  statementTimeoutMs?: number;
  /** Connecting, and waiting for a free connection of the pool, fail after this. */
  connectTimeoutMs?: number;
  /** A connection that broke (the server restarted, the network dropped); the pool replaces it. */
  onConnectionError?: (error: Error) => void;
}

function executorOver(target: pg.Pool | pg.PoolClient): Executor {
  return { db: drizzle(target), query: (statement, values) => target.query(statement, values) };
}

export function connectDatabase(url: string, options: ConnectOptions = {}): DatabaseHandle {
  const statementTimeoutMs = options.statementTimeoutMs ?? 10_000;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'sluice',
    connectionTimeoutMillis: options.connectTimeoutMs ?? 3_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: statementTimeoutMs,
    // The server cannot cancel anything when it hangs or the network drops: the client gives up.
    query_timeout: statementTimeoutMs + 1_000,
    // A transaction left open by a process that hangs must not hold its locks for ever.
    idle_in_transaction_session_timeout: 60_000,
    keepAlive: true,
  });
  const onError = options.onConnectionError ?? (() => {});
  // Every connection gets a listener for its whole life. pg-pool listens only while a client is
  // idle, so a checked-out client whose server went away ("Connection terminated unexpectedly")
  // would otherwise emit an unhandled 'error' and crash the process. The query in flight fails
  // on its own, and the pool drops the broken client when it is released.
  pool.on('connect', (client) => client.on('error', onError));
  pool.on('error', onError);

  return {
    pool,
    executor: executorOver(pool),
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

/** A process's pool, with the timeouts of its configuration. */
export function connectConfiguredDatabase(
  config: Pick<Config, 'DATABASE_URL' | 'DATABASE_STATEMENT_TIMEOUT_MS' | 'DATABASE_CONNECT_TIMEOUT_MS'>,
  options: Pick<ConnectOptions, 'max' | 'applicationName' | 'onConnectionError'> = {},
): DatabaseHandle {
  return connectDatabase(config.DATABASE_URL, {
    ...options,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
  });
}
