import { readdirSync, readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { BenchEnvironment } from './environment.ts';
import type { ClientCounters } from './instrument-clients.ts';
import { cpuSeconds } from './processes.ts';
import { round } from './stats.ts';

/**
 * What a window of the bench cost: PostgreSQL statements and Redis commands as Sluice's
 * processes sent them (counted in the client, see instrument-clients.ts), Redis commands
 * as the server executed them (INFO commandstats of the bench's private redis-server, which
 * includes the commands BullMQ's Lua scripts run), PostgreSQL transactions from
 * pg_stat_database, and CPU seconds per process.
 */

interface Snapshot {
  api: ClientCounters;
  worker: ClientCounters;
  redisServer: Record<string, number>;
  pgTransactions: number;
  cpu: Record<string, number>;
}

export interface WindowCost {
  deliveredMessages: number;
  perMessage: {
    pgStatements: number;
    pgStatementsApi: number;
    pgStatementsWorker: number;
    pgTransactions: number;
    redisCommandsSent: number;
    redisCommandsExecuted: number;
  };
  /** CPU seconds per second of the window, by process (2.0 = both cores). */
  cpuCores: Record<string, number>;
  topStatements: { statement: string; perMessage: number }[];
  topRedisCommands: { command: string; perMessage: number }[];
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0);

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([key, n]) => [key, n - (before[key] ?? 0)]));
}

/** The bench database's backends, by their process title `postgres: user database host...`. */
function postgresBackendPids(database: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (title.startsWith('postgres:') && title.includes(` ${database} `)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

export function createCostMeter(env: BenchEnvironment) {
  // Processes started for one phase (a second worker): their CPU counts while they run.
  const tracked = new Map<string, number>();
  const redis = new Redis(env.redisUrl, { maxRetriesPerRequest: 1 });
  const database = decodeURIComponent(new URL(env.databaseUrl).pathname.slice(1));
  const stats = new pg.Client({ connectionString: env.databaseUrl, application_name: 'bench-meter' });
  const connected = stats.connect();

  async function redisServerCounts(): Promise<Record<string, number>> {
    const info = await redis.info('commandstats');
    const counts: Record<string, number> = {};
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) counts[match[1]!] = Number(match[2]);
    return counts;
  }

  async function pgTransactions(): Promise<number> {
    await connected;
    // Counters are flushed by backends at most once a second; the caller lets them settle first.
    const result = await stats.query<{ n: string }>(
      `select xact_commit + xact_rollback as n from pg_stat_database where datname = $1`,
      [database],
    );
    return Number(result.rows[0]?.n ?? 0);
  }

  /**
   * CPU seconds so far per process (plus `extra` name → pid). PostgreSQL's backends come and go,
   * so their entry is the sum over the backends alive now; see cpuCores for how it is compared.
   */
  function cpu(extra: Record<string, number> = {}): Record<string, number> {
    const usage = process.cpuUsage();
    const backends = Object.fromEntries(postgresBackendPids(database).map((pid) => [`pg:${pid}`, cpuSeconds(pid)]));
    return {
      ...Object.fromEntries(
        [...tracked, ...Object.entries(extra)].map(([name, pid]) => [name, cpuSeconds(pid)] as const),
      ),
      api: cpuSeconds(env.api.pid),
      worker: cpuSeconds(env.worker.pid),
      fauxqs: cpuSeconds(env.fauxqs.pid),
      redis: cpuSeconds(env.redisPid),
      bench: (usage.user + usage.system) / 1e6,
      ...backends,
    };
  }

  async function snapshot(): Promise<Snapshot> {
    const [api, worker, redisServer, transactions] = await Promise.all([
      env.api.ask<ClientCounters>('client-counters'),
      env.worker.ask<ClientCounters>('client-counters'),
      redisServerCounts(),
      pgTransactions(),
    ]);
    return { api, worker, redisServer, pgTransactions: transactions, cpu: cpu() };
  }

  return {
    snapshot,
    track(name: string, pid: number) {
      tracked.set(name, pid);
    },
    untrack(name: string) {
      tracked.delete(name);
    },
    /** CPU seconds so far per process (plus `extra` name → pid): cheap enough for the exact edges of a window. */
    cpu,
    /**
     * CPU cores used per process between two cpu() readings `seconds` apart (2.0 = both cores).
     * A PostgreSQL backend counts from the first reading, or from its start if it started
     * since; one that ended in between is missing (its share is lost, not misattributed).
     */
    cpuCores(before: Record<string, number>, after: Record<string, number>, seconds: number): Record<string, number> {
      const used: Record<string, number> = { postgres: 0 };
      for (const [name, now] of Object.entries(after)) {
        const delta = now - (before[name] ?? 0);
        if (name.startsWith('pg:')) used.postgres! += delta;
        else used[name] = delta;
      }
      return Object.fromEntries(Object.entries(used).map(([name, n]) => [name, round(n / seconds, 2)]));
    },
    cost(before: Snapshot, after: Snapshot, deliveredMessages: number, cpuCores: Record<string, number>): WindowCost {
      const per = (n: number) => round(n / Math.max(1, deliveredMessages), 3);
      const apiStatements = delta(after.api.statements, before.api.statements);
      const workerStatements = delta(after.worker.statements, before.worker.statements);
      const sent =
        total(delta(after.api.redisCommands, before.api.redisCommands)) +
        total(delta(after.worker.redisCommands, before.worker.redisCommands));
      // The meter's own INFO calls are not Sluice's.
      const { info: _meter, ...executed } = delta(after.redisServer, before.redisServer);
      const statements = new Map<string, number>();
      for (const counts of [apiStatements, workerStatements]) {
        for (const [key, n] of Object.entries(counts)) statements.set(key, (statements.get(key) ?? 0) + n);
      }
      return {
        deliveredMessages,
        perMessage: {
          pgStatements: per(total(apiStatements) + total(workerStatements)),
          pgStatementsApi: per(total(apiStatements)),
          pgStatementsWorker: per(total(workerStatements)),
          pgTransactions: per(after.pgTransactions - before.pgTransactions),
          redisCommandsSent: per(sent),
          redisCommandsExecuted: per(total(executed)),
        },
        cpuCores,
        topStatements: [...statements]
          .filter(([, n]) => n > 0)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 12)
          .map(([statement, n]) => ({ statement, perMessage: per(n) })),
        topRedisCommands: Object.entries(executed)
          .filter(([, n]) => n > 0)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 12)
          .map(([command, n]) => ({ command, perMessage: per(n) })),
      };
    },
    async close() {
      redis.disconnect();
      await stats.end();
    },
  };
}

export type CostMeter = ReturnType<typeof createCostMeter>;
export type CostSnapshot = Snapshot;
