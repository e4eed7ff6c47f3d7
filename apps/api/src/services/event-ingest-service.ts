import { canonicalJson, sha256Hex } from '@sluice/contracts/canonical-json';
import { type EventInput, eventInputSchema } from '@sluice/contracts/events';
import { type FieldError, toFieldErrors } from '@sluice/contracts/field-errors';
import { unstorableFieldErrors } from '@sluice/contracts/storable-text';
import { newId } from '@sluice/db/ids';
import type { EventsRepository, NewEvent } from '@sluice/db/repositories/events-repository';
import { withTimeout } from '@sluice/errors/timeout';
import type { JobProducer } from '@sluice/jobs/producer';
import type { Logger } from '@sluice/logger/logger';
import type { ApiMetrics } from '../metrics.ts';

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
    payload: input.payload,
    metadata: input.metadata ?? null,
  };
}

export function createEventIngestService(deps: {
  events: Pick<EventsRepository, 'insertMany' | 'findByIdempotencyKeys'>;
  jobs: Pick<JobProducer, 'enqueueFanOuts'>;
  logger: Logger;
  metrics: Pick<ApiMetrics, 'eventsAccepted'>;
  /** How long an answer waits for the fan-out enqueue; past it the sweeper enqueues later. */
  enqueueTimeoutMs: number;
}) {
  /**
   * Stores valid events in one statement, then enqueues their fan-out. Answers once the
   * rows are committed; if Redis is away the sweeper enqueues them later.
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
      (
        await deps.events.insertMany(
          tenantId,
          candidates.map((c) => c.row),
        )
      ).map((r) => r.id),
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

    const acceptedIds = [...inserted];
    if (acceptedIds.length > 0) {
      deps.metrics.eventsAccepted.inc(acceptedIds.length);
      const enqueue = deps.jobs.enqueueFanOuts(acceptedIds.map((eventId) => ({ tenantId, eventId })));
      await withTimeout(enqueue, deps.enqueueTimeoutMs, 'Redis').catch((error: unknown) =>
        deps.logger.warn({ err: error, count: acceptedIds.length }, 'fan-out enqueue failed; the sweeper will retry'),
      );
    }
    return results;
  }

  return {
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

export type EventIngestService = ReturnType<typeof createEventIngestService>;
