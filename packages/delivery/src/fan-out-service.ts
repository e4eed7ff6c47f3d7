import type { DatabaseHandle, Executor } from '@sluice/db/client';
import { isLockConflict, retryOnLockConflict } from '@sluice/db/conflict-retry';
import { newId } from '@sluice/db/ids';
import type { DeliveryQueue, PlannedDelivery } from '@sluice/db/repositories/delivery-queue';
import type { DestinationsRepository } from '@sluice/db/repositories/destinations-repository';
import type { OutboxEvent, OutboxRepository } from '@sluice/db/repositories/outbox-repository';
import type { DestinationRow } from '@sluice/db/schema/destinations';
import { compileEventTypes } from '@sluice/destinations/event-type-match';
import type { DestinationResolver } from '@sluice/destinations/resolver';
import type { Logger } from '@sluice/logger/logger';
import { isAlertAbout } from './alert-routing.ts';
import { traceFanOutBatch } from './fan-out-tracing.ts';
import { DEFAULT_MAX_AGE_SECONDS } from './retry-policy.ts';

export interface FanOutOptions {
  /** Events per transaction at most, and about this many bytes of them. */
  batchSize: number;
  batchBytes: number;
  /** A tenant's fan-out hands the queue back after this long, so other tenants get a turn. */
  timeBudgetMs: number;
}

export const defaultFanOutOptions: FanOutOptions = {
  batchSize: 500,
  batchBytes: 16 * 1024 * 1024,
  timeBudgetMs: 2_000,
};

export interface FanOutResult {
  events: number;
  /** The destinations that got deliveries: their drains are to be woken. */
  destinations: Set<string>;
  /** True when events remain that this run left for the next one. */
  more: boolean;
}

/**
 * Turns a tenant's accepted events into deliveries, from PostgreSQL's outbox, in accept order:
 * a transaction per batch claims the events (FOR UPDATE SKIP LOCKED), reads their customers'
 * destinations, and writes every delivery and removes the events from the outbox in one
 * statement. An event reaches every destination of its tenant and customer that is enabled
 * and whose eventTypes match; paused ones get theirs too (they wait). A batch that fails is
 * split, so one event's failure fails only that event, which waits in the outbox.
 */
export function createFanOutService(deps: {
  database: Pick<DatabaseHandle, 'transaction' | 'executor'>;
  outbox: OutboxRepository;
  queue: Pick<DeliveryQueue, 'enqueueFanOut'>;
  destinations: Pick<DestinationsRepository, 'forCustomers'>;
  resolver: Pick<DestinationResolver, 'configure'>;
  logger: Logger;
  options?: Partial<FanOutOptions>;
}) {
  const options = { ...defaultFanOutOptions, ...deps.options };

  function plan(claimed: OutboxEvent[], candidates: DestinationRow[]): PlannedDelivery[] {
    const byCustomer = new Map<string, DestinationRow[]>();
    for (const row of candidates)
      byCustomer.set(row.customerExternalId, [...(byCustomer.get(row.customerExternalId) ?? []), row]);
    return claimed.flatMap(({ event, seq, bytes, receivedAt }) =>
      (byCustomer.get(event.customerExternalId) ?? []).flatMap((row): PlannedDelivery[] => {
        if (!row.enabled) return [];
        // An alert never goes to the destination it is about.
        if (isAlertAbout(event, row.id)) return [];
        let orderingKey: string | null = null;
        try {
          const configured = deps.resolver.configure(row);
          if (!configured.matches(event.eventType)) return [];
          orderingKey = configured.destination.orderingKey(event);
        } catch (error) {
          if (!compileEventTypes(row.eventTypes)(event.eventType)) return [];
          // Still made: the drain holds it with the reason until the destination is fixed.
          deps.logger.error({ err: error, destinationId: row.id }, 'destination config unusable at fan-out');
        }
        const maxAgeMs = (row.retryMaxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS) * 1000;
        return [
          {
            id: newId(),
            eventId: event.id,
            destinationId: row.id,
            orderingKey,
            orderSeq: seq,
            expiresAt: new Date(receivedAt.getTime() + maxAgeMs),
            bytes,
          },
        ];
      }),
    );
  }

  /** One batch in one transaction; answers what it claimed and planned. */
  async function fanOutBatch(tx: Executor, tenantId: string, only?: ReadonlySet<number>) {
    const claimed = await deps.outbox.claim(tx, tenantId, options.batchSize, options.batchBytes);
    const events = only ? claimed.filter((c) => only.has(c.seq)) : claimed;
    if (events.length === 0) return { events, planned: [] };
    const customers = [...new Set(events.map((c) => c.event.customerExternalId))];
    const planned = plan(events, await deps.destinations.forCustomers(tx, tenantId, customers));
    await deps.queue.enqueueFanOut(
      tx,
      tenantId,
      planned,
      events.map((c) => c.seq),
    );
    return { events, planned };
  }

  /**
   * A batch that fails is tried again in halves, down to single events; an event that fails
   * alone is deferred in the outbox (with its error) and its neighbours are fanned out.
   */
  async function fanOutIsolating(tenantId: string, seqs: number[], result: FanOutResult): Promise<void> {
    try {
      const done = await retryOnLockConflict(() =>
        deps.database.transaction((tx) => fanOutBatch(tx, tenantId, new Set(seqs))),
      );
      result.events += done.events.length;
      for (const p of done.planned) result.destinations.add(p.destinationId);
    } catch (error) {
      if (seqs.length === 1) {
        deps.logger.error(
          { err: error, tenantId, seq: seqs[0] },
          'fan-out of one event failed: it waits in the outbox',
        );
        await deps.outbox.defer(
          deps.database.executor,
          tenantId,
          seqs,
          error instanceof Error ? error.message : String(error),
        );
        return;
      }
      const half = Math.ceil(seqs.length / 2);
      await fanOutIsolating(tenantId, seqs.slice(0, half), result);
      await fanOutIsolating(tenantId, seqs.slice(half), result);
    }
  }

  return {
    async fanOutTenant(tenantId: string, shouldStop: () => boolean = () => false): Promise<FanOutResult> {
      const result: FanOutResult = { events: 0, destinations: new Set(), more: false };
      const deadline = Date.now() + options.timeBudgetMs;
      while (!shouldStop()) {
        if (Date.now() > deadline) return { ...result, more: true };
        let done: Awaited<ReturnType<typeof fanOutBatch>>;
        try {
          // A span per batch, and one in each event's trace (no-op while tracing is off).
          done = await traceFanOutBatch(tenantId, () =>
            retryOnLockConflict(() => deps.database.transaction((tx) => fanOutBatch(tx, tenantId))),
          );
        } catch (error) {
          // Contention is no event's fault: the job fails and runs again, nothing is deferred.
          if (isLockConflict(error)) throw error;
          deps.logger.warn({ err: error, tenantId }, 'fan-out batch failed: isolating the event that breaks it');
          const claimed = await deps.database.transaction((tx) =>
            deps.outbox.claim(tx, tenantId, options.batchSize, options.batchBytes),
          );
          if (claimed.length === 0) return result;
          await fanOutIsolating(
            tenantId,
            claimed.map((c) => c.seq),
            result,
          );
          continue;
        }
        result.events += done.events.length;
        for (const p of done.planned) result.destinations.add(p.destinationId);
        // A batch short of both bounds took everything there was: events accepted since then
        // woke a follow-up run (see the job catalog), so an empty claim here would be wasted.
        const bytes = done.events.reduce((sum, e) => sum + e.bytes, 0);
        if (done.events.length < options.batchSize && bytes < options.batchBytes) return result;
      }
      return { ...result, more: true };
    },
  };
}

export type FanOutService = ReturnType<typeof createFanOutService>;
