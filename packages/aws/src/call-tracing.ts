import { failSpan, SpanKind, tracer } from '@sluice/telemetry/spans';
import { isTracingOn } from '@sluice/telemetry/tracing';
import type { MiddlewareStack } from '@smithy/types';

/**
 * A span for every AWS call a client makes (SQS.SendMessageBatch, STS.AssumeRole, ...), as a child
 * of the active span, through the SDK's own middleware stack. Added only while tracing is on.
 *
 * Not @opentelemetry/instrumentation-aws-sdk: it patches the SDK's modules, which must happen
 * before they load (a preload flag for every entry point), and it writes a `traceparent` message
 * attribute into every SQS entry it sends. That attribute would carry the drain round's trace
 * rather than each event's, would be an attribute the API contract does not list, and would add
 * bytes the batcher never counted against the queue's size limits.
 */
export function traceAwsCalls<I extends object, O extends object>(
  stack: MiddlewareStack<I, O>,
  service: string,
  region: string,
): void {
  if (!isTracingOn()) return;
  stack.add(
    (next, handlerContext) => async (args) => {
      const method = handlerContext.commandName?.replace(/Command$/, '') ?? 'unknown';
      return tracer().startActiveSpan(
        `${service}.${method}`,
        {
          kind: SpanKind.CLIENT,
          attributes: { 'rpc.system': 'aws-api', 'rpc.service': service, 'rpc.method': method, 'cloud.region': region },
        },
        async (span) => {
          try {
            const result = await next(args);
            const metadata = '$metadata' in result.output ? result.output.$metadata : undefined;
            if (metadata && typeof metadata === 'object') {
              if ('requestId' in metadata && typeof metadata.requestId === 'string')
                span.setAttribute('aws.request_id', metadata.requestId);
              if ('httpStatusCode' in metadata && typeof metadata.httpStatusCode === 'number')
                span.setAttribute('http.response.status_code', metadata.httpStatusCode);
            }
            return result;
          } catch (error) {
            failSpan(span, error);
            throw error;
          } finally {
            span.end();
          }
        },
      );
    },
    { step: 'initialize', name: 'sluiceCallTracing', priority: 'high' },
  );
}
