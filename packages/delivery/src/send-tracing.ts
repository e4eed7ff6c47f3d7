import type { ClaimedDelivery } from '@sluice/db/repositories/delivery-claims';
import type { PlannedCall } from '@sluice/destinations/bound-destination';
import { contextOfTraceparent, failSpan, inSpan, type Span, SpanKind, tracer } from '@sluice/telemetry/spans';
import { isTracingOn } from '@sluice/telemetry/tracing';

/**
 * Spans for a drain round's provider calls, while tracing is on (the calls are returned as they
 * are otherwise). Each call is a span of the drain round's trace (the AWS SDK's call spans are its
 * children); each message of it is a span in its own event's trace, a child of the request that
 * accepted the event, linked to the call that carried it.
 *
 * Child rather than link: sending is the last step of the event's own journey, so as a child it
 * shows in the event's trace after the POST and the fan-out, with the time the event waited, and
 * the journey is one trace. The call itself carries up to ten events of as many traces and can be
 * the child of none of them; it stays in the drain's trace, and the links join the two views.
 * An event stored without a trace (tracing was off when it arrived) gets no span of its own.
 */
export function traceSends(
  calls: PlannedCall[],
  claimed: ReadonlyMap<string, Pick<ClaimedDelivery, 'traceContext'>>,
  destination: { id: string; type: string; resourceName: string },
): PlannedCall[] {
  if (!isTracingOn()) return calls;
  const messaging = {
    'messaging.system': `aws_${destination.type}`,
    'messaging.destination.name': destination.resourceName,
    'messaging.operation.type': 'send',
    'sluice.destination.id': destination.id,
  };
  return calls.map(
    (call): PlannedCall => ({
      messages: call.messages,
      bytes: call.bytes,
      send: (ctx) =>
        inSpan(
          `send ${destination.resourceName}`,
          {
            kind: SpanKind.PRODUCER,
            attributes: { ...messaging, 'messaging.batch.message_count': call.messages.length },
          },
          async (callSpan) => {
            const spans = new Map<string, Span>();
            for (const message of call.messages) {
              const parent = contextOfTraceparent(claimed.get(message.deliveryId)?.traceContext ?? null);
              if (!parent) continue;
              const span = tracer().startSpan(
                `send ${destination.resourceName}`,
                {
                  kind: SpanKind.PRODUCER,
                  links: callSpan ? [{ context: callSpan.spanContext() }] : [],
                  attributes: {
                    ...messaging,
                    'sluice.event.id': message.event.id,
                    'sluice.delivery.id': message.deliveryId,
                  },
                },
                parent,
              );
              spans.set(message.deliveryId, span);
            }
            const result = await call.send(ctx);
            for (const outcome of result.outcomes) {
              const span = spans.get(outcome.deliveryId);
              if (!span) continue;
              if (outcome.ok) {
                if (outcome.providerMessageId) span.setAttribute('messaging.message.id', outcome.providerMessageId);
              } else {
                span.setAttribute('error.type', outcome.failure.code);
                failSpan(span, new Error(outcome.failure.message));
              }
              span.end();
            }
            for (const span of spans.values()) if (span.isRecording()) span.end();
            return result;
          },
        ),
    }),
  );
}
