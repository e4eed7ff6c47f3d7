import { canonicalJson, sha256Hex } from '@sluice/contracts/canonical-json';
import { type EventInput, eventInputSchema } from '@sluice/contracts/events';
import { type FieldError, toFieldErrors } from '@sluice/contracts/field-errors';
import { unstorableFieldErrors } from '@sluice/contracts/storable-text';
import { newId } from '@sluice/db/ids';
import type { PageRequest } from '@sluice/db/pagination';
import { encodeCursor } from '@sluice/db/pagination';
import type { DeliveriesRepository } from '@sluice/db/repositories/deliveries-repository';
import type { EventFilters, EventsRepository, NewEvent } from '@sluice/db/repositories/events-repository';
import { notFound } from '@sluice/errors/app-error';
import { activeTraceparent } from '@sluice/telemetry/spans';
import type { ApiMetrics } from '../metrics.ts';
import { toEventView } from '../views/records.ts';

export type IngestResult =
  | { index: number; status: 'accepted' | 'duplicate'; id: string }
  | { index: number; status: 'rejected'; errors: (FieldError & { code?: string })[] };

const conflictError = {
  path: 'idempotencyKey',
  code: 'idempotency_conflict',
  message: 'was already used for an event with a different body',
};

function toNewEvent(input: EventInput, requestHash: string): NewEvent {
  return {
    id: newId(),
    idempotencyKey: input.idempotencyKey,
    requestHash,
    eventType: input.eventType,
    occurredAt: new Date(input.occurredAt),
    source: input.source,
    customerExternalId: input.customerExternalId,
    correlationId: input.correlationId ?? null,
    payloadJson: JSON.stringify(input.payload),
    metadataJson: input.metadata ? JSON.stringify(input.metadata) : null,
    // The request's trace (null while tracing is off): the fan-out and the send continue it.
    traceContext: activeTraceparent(),
  };
}

export function createEventService(deps: {
  events: EventsRepository;
  deliveries: Pick<DeliveriesRepository, 'summariesForEvent'>;
  /** Wakes the tenant's fan-out (debounced, never awaited by a request). */
  wakeFanOut: (tenantId: string) => void;
  metrics: Pick<ApiMetrics, 'eventsAccepted'>;
}) {
  /**
   * Stores valid events with their outbox rows in one statement, then wakes the tenant's
   * fan-out. Answers once the rows are committed; if the wake-up is lost (Redis away), the
   * sweeper finds the outbox rows later.
   */
  async function accept(tenantId: string, items: { index: number; input: EventInput }[]): Promise<IngestResult[]> {
    const results: IngestResult[] = [];
    const firstByKey = new Map<string, { index: number; row: NewEvent }>();
    const repeats: { index: number; key: string; hash: string }[] = [];

    for (const { index, input } of items) {
      const hash = sha256Hex(canonicalJson(input));
      if (firstByKey.has(input.idempotencyKey)) repeats.push({ index, key: input.idempotencyKey, hash });
      else firstByKey.set(input.idempotencyKey, { index, row: toNewEvent(input, hash) });
    }

    const candidates = [...firstByKey.values()];
    const inserted = new Set(
      await deps.events.insertMany(
        tenantId,
        candidates.map((c) => c.row),
      ),
    );
    const skippedKeys = candidates.filter((c) => !inserted.has(c.row.id)).map((c) => c.row.idempotencyKey);
    const stored = new Map(
      (await deps.events.findByIdempotencyKeys(tenantId, skippedKeys)).map((row) => [row.idempotencyKey, row]),
    );

    const resolve = (index: number, key: string, hash: string, ownId?: string): IngestResult => {
      if (ownId && inserted.has(ownId)) return { index, status: 'accepted', id: ownId };
      const existing = stored.get(key) ?? firstInserted(key);
      if (!existing) throw new Error(`event with idempotency key vanished during ingest`);
      if (existing.requestHash !== hash) return { index, status: 'rejected', errors: [conflictError] };
      return { index, status: 'duplicate', id: existing.id };
    };
    const firstInserted = (key: string) => {
      const first = firstByKey.get(key);
      return first && inserted.has(first.row.id) ? { id: first.row.id, requestHash: first.row.requestHash } : undefined;
    };

    for (const { index, row } of candidates) results.push(resolve(index, row.idempotencyKey, row.requestHash, row.id));
    for (const { index, key, hash } of repeats) results.push(resolve(index, key, hash));

    if (inserted.size > 0) {
      deps.metrics.eventsAccepted.inc(inserted.size);
      deps.wakeFanOut(tenantId);
    }
    return results;
  }

  return {
    async get(tenantId: string, eventId: string) {
      const row = await deps.events.get(tenantId, eventId);
      if (!row) throw notFound('Event');
      return { ...toEventView(row), deliveries: await deps.deliveries.summariesForEvent(tenantId, row.id) };
    },

    async list(tenantId: string, filters: EventFilters, page: PageRequest) {
      const { rows, more } = await deps.events.list(tenantId, filters, page);
      const last = rows.at(-1);
      return { data: rows.map(toEventView), nextCursor: more && last ? encodeCursor(last.id) : null };
    },

    async ingestOne(tenantId: string, input: EventInput): Promise<IngestResult> {
      const [result] = await accept(tenantId, [{ index: 0, input }]);
      return result!;
    },

    /** Each item is validated on its own: a rejected item does not stop the others. */
    async ingestBatch(tenantId: string, items: unknown[]): Promise<IngestResult[]> {
      const results: IngestResult[] = [];
      const valid: { index: number; input: EventInput }[] = [];
      items.forEach((item, index) => {
        // The request-wide text check skips this body (config.bodyItemsCheckedAlone): an item
        // with a NUL or a lone surrogate rejects only itself.
        const unstorable = unstorableFieldErrors(item);
        const parsed = eventInputSchema.safeParse(item);
        if (parsed.success && unstorable.length === 0) valid.push({ index, input: parsed.data });
        else {
          const errors = [...(parsed.success ? [] : toFieldErrors(parsed.error.issues)), ...unstorable];
          results.push({ index, status: 'rejected', errors });
        }
      });
      results.push(...(await accept(tenantId, valid)));
      return results.sort((a, b) => a.index - b.index);
    },
  };
}

export type EventService = ReturnType<typeof createEventService>;
