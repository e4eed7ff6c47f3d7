import type { Config } from '@sluice/config/env';
import { parseJsonExact } from '@sluice/contracts/lossless-json';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema.ts';

// jsonb keeps numbers exactly, and so does reading it back (an integer beyond 2^53 in an
// event's payload reaches the destination digit for digit). Set on pg's global registry:
// drizzle asks it for every type it does not convert itself.
pg.types.setTypeParser(pg.types.builtins.JSONB, parseJsonExact);
pg.types.setTypeParser(pg.types.builtins.JSON, parseJsonExact);

// The pool is reachable as `$client` for the few hot statements written as plain SQL.
export type Database = NodePgDatabase<typeof schema> & { $client: pg.Pool };

export interface DatabaseHandle {
  db: Database;
  pool: pg.Pool;
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
  const db = drizzle(pool, { schema });
  return { db, pool, close: () => pool.end() };
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
