import { createHash } from 'node:crypto';
import { newId } from '@sluice/db/ids';
import Fastify from 'fastify';
import pg from 'pg';
import { settings } from './settings.ts';

/**
 * The ingest ceiling: a bare Fastify server that stores the same events row Sluice stores,
 * with one prepared INSERT per request (one multi-row INSERT per batch) and nothing else:
 * no auth, no validation, no idempotency check, no job. Sluice's ingest is measured against
 * it on the same machine, database and pool size as the API (20 connections).
 */

const tenantId = settings.ceilingTenantId;
const pool = new pg.Pool({ connectionString: settings.ceilingDatabaseUrl, max: 20, application_name: 'bench-ceiling' });

const columns = `id, tenant_id, idempotency_key, request_hash, event_type, occurred_at, source,
                 customer_external_id, correlation_id, payload, metadata`;

type EventBody = Record<string, unknown> & { payload: unknown; metadata?: unknown };

const row = (event: EventBody) => [
  newId(),
  tenantId,
  event.idempotencyKey,
  createHash('sha256').update(JSON.stringify(event)).digest('hex'),
  event.eventType,
  event.occurredAt,
  event.source,
  event.customerExternalId,
  event.correlationId ?? null,
  JSON.stringify(event.payload),
  event.metadata === undefined ? null : JSON.stringify(event.metadata),
];

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });

app.post('/v1/events', async (request, reply) => {
  const result = await pool.query({
    name: 'ceiling-insert-event',
    text: `insert into events (${columns}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           on conflict (tenant_id, idempotency_key) do nothing returning id`,
    values: row(request.body as EventBody),
  });
  return reply.status(202).send({ id: result.rows[0]?.id, status: 'accepted', duplicate: false });
});

app.post('/v1/events/batch', async (request) => {
  const rows = (request.body as { events: EventBody[] }).events.map(row);
  const column = (i: number) => rows.map((r) => r[i]);
  const result = await pool.query({
    name: 'ceiling-insert-events',
    text: `insert into events (${columns})
           select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
                                $7::text[], $8::text[], $9::text[], $10::jsonb[], $11::jsonb[])
           on conflict (tenant_id, idempotency_key) do nothing returning id`,
    values: Array.from({ length: 11 }, (_, i) => column(i)),
  });
  return { results: result.rows.map((r, index) => ({ index, id: r.id, status: 'accepted' })) };
});

const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`ceiling listening at ${address}`);

const shutdown = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
