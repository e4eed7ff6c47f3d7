import pg from 'pg';
import type { BenchEnvironment } from './environment.ts';
import { FIFO_GROUPS, STANDARD_CUSTOMER } from './events.ts';

/**
 * The history phase's backlog of the past: delivered events with their deliveries and some
 * failed attempts, written by PostgreSQL itself (generate_series), so that millions of rows
 * take minutes. They look like what Sluice leaves behind: the bench's own events, of the
 * standard customer, delivered to its destination, with uuid v7 ids of their time, received
 * over the `days` before now (inside the retention window: nothing purges them meanwhile).
 */

export interface HistoryOptions {
  events: number;
  /** Rows per statement: each is its own transaction, so WAL and locks stay bounded. */
  chunk: number;
  /** Every `failedEvery`-th delivery has one failed attempt logged before it succeeded. */
  failedEvery: number;
  days: number;
}

export interface SeededHistory {
  events: number;
  deliveries: number;
  attempts: number;
  seconds: number;
  /** Size on disk of events, deliveries and attempts with their indexes. */
  megabytes: number;
}

// A uuid v7 of the time `ts` (48 bits of milliseconds), random bits from md5 of the row number.
const uuidV7 = (ts: string, n: string) =>
  `(lpad(to_hex((extract(epoch from ${ts}) * 1000)::bigint), 12, '0') || '7' || substr(md5(${n}::text), 1, 3)
    || '8' || substr(md5(${n}::text), 4, 15))::uuid`;

export async function seedHistory(
  env: BenchEnvironment,
  options: HistoryOptions,
  log: (message: string) => void,
): Promise<SeededHistory> {
  const client = new pg.Client({ connectionString: env.databaseUrl, application_name: 'bench-history' });
  await client.connect();
  const startedAt = performance.now();
  try {
    const destination = await client.query<{ id: string }>(
      'select id from destinations where tenant_id = $1 and customer_external_id = $2',
      [env.tenantId, STANDARD_CUSTOMER],
    );
    const destinationId = destination.rows[0]?.id;
    if (!destinationId) throw new Error('the standard destination is missing');
    // Oldest first, so ids and sequence numbers grow with time as Sluice's own do.
    const spanMs = options.days * 86_400_000;
    for (let from = 0; from < options.events; from += options.chunk) {
      const to = Math.min(options.events, from + options.chunk) - 1;
      await client.query(
        `with inserted as (
           insert into events (id, tenant_id, idempotency_key, request_hash, event_type, occurred_at, source,
                               customer_external_id, correlation_id, payload, metadata, bytes, received_at)
           select ${uuidV7('t', 'i')}, $1, 'history-' || i, md5(i::text) || md5(i::text), 'order.completed', t,
                  'billing-service', $2, 'req_h' || i,
                  jsonb_build_object('orderId', 'ord_h' || i, 'accountId', 'acct_' || (i % $6), 'amount', 12900,
                                     'currency', 'EUR'),
                  '{"tier":"pro","region":"us-east-1"}'::jsonb, 120, t
           from generate_series($3::int, $4::int) as i,
                lateral (select now() - make_interval(secs => ($5::int - i) * $8::float8)) as at(t)
           returning id, tenant_id, seq, received_at
         )
         insert into deliveries (id, tenant_id, event_id, destination_id, order_seq, status, attempts, expires_at,
                                 delivered_at, provider_message_id, last_duration_ms, created_at, updated_at)
         select ${uuidV7('received_at', "'d' || id")}, tenant_id, id, $7, seq, 'delivered',
                case when seq % $9 = 0 then 2 else 1 end, received_at + interval '1 day',
                received_at + interval '40 milliseconds', md5(id::text), 12, received_at,
                received_at + interval '40 milliseconds'
         from inserted`,
        [
          env.tenantId,
          STANDARD_CUSTOMER,
          from,
          to,
          options.events,
          FIFO_GROUPS,
          destinationId,
          spanMs / options.events / 1000,
          options.failedEvery,
        ],
      );
      log(`history: ${(to + 1).toLocaleString('en-US')} of ${options.events.toLocaleString('en-US')} events`);
    }
    await client.query(
      `insert into delivery_attempts (delivery_id, n, at, duration_ms, outcome, error_code, error_message)
       select d.id, 1, d.created_at + interval '10 milliseconds', 30, 'transient_error', 'ThrottlingException',
              'Rate exceeded'
       from deliveries d where d.destination_id = $1 and d.attempts = 2`,
      [destinationId],
    );
    // What autovacuum would have done to rows this old: statistics and the visibility map.
    await client.query('vacuum (analyze) events, deliveries, delivery_attempts');
    const counts = await client.query<{ events: string; deliveries: string; attempts: string; bytes: string }>(
      `select (select count(*) from events) as events, (select count(*) from deliveries) as deliveries,
              (select count(*) from delivery_attempts) as attempts,
              pg_total_relation_size('events') + pg_total_relation_size('deliveries')
                + pg_total_relation_size('delivery_attempts') as bytes`,
    );
    const row = counts.rows[0]!;
    return {
      events: Number(row.events),
      deliveries: Number(row.deliveries),
      attempts: Number(row.attempts),
      seconds: Math.round((performance.now() - startedAt) / 1000),
      megabytes: Math.round(Number(row.bytes) / 2 ** 20),
    };
  } finally {
    await client.end();
  }
}
