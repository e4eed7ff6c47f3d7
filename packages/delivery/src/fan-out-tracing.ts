import type { OutboxEvent } from '@sluice/db/repositories/outbox-repository';
import { contextOfTraceparent, inSpan, tracer } from '@sluice/telemetry/spans';
import { isTracingOn } from '@sluice/telemetry/tracing';

/**
 * The fan-out of one batch as a span (while tracing is on), and, in the trace of each event of
 * it that was accepted with a trace, a span of its own from the batch's start to its commit,
 * linked to the batch: a tenant's batch carries hundreds of events of as many traces, so it is
 * the child of none of them, yet each event's trace shows when and into how many deliveries it
 * was fanned out.
 */
export async function traceFanOutBatch<T extends { events: OutboxEvent[]; planned: { eventId: string }[] }>(
  tenantId: string,
  work: () => Promise<T>,
): Promise<T> {
  if (!isTracingOn()) return work();
  const startTime = new Date();
  return inSpan('fan-out', { attributes: { 'sluice.tenant.id': tenantId } }, async (batchSpan) => {
    const done = await work();
    batchSpan?.setAttributes({ 'sluice.events': done.events.length, 'sluice.deliveries': done.planned.length });
    const deliveries = new Map<string, number>();
    for (const p of done.planned) deliveries.set(p.eventId, (deliveries.get(p.eventId) ?? 0) + 1);
    for (const { event, traceContext } of done.events) {
      const parent = contextOfTraceparent(traceContext);
      if (!parent) continue;
      tracer()
        .startSpan(
          'fan-out',
          {
            startTime,
            links: batchSpan ? [{ context: batchSpan.spanContext() }] : [],
            attributes: { 'sluice.event.id': event.id, 'sluice.deliveries': deliveries.get(event.id) ?? 0 },
          },
          parent,
        )
        .end();
    }
    return done;
  });
}
