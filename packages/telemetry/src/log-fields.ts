import { context, trace } from '@opentelemetry/api';

/**
 * The active trace and span ids as log fields (the names OpenTelemetry's log data model uses), so
 * a log line leads to its trace. A pino mixin: called for each line, it answers nothing outside a span.
 */
export function traceLogFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  return { trace_id: traceId, span_id: spanId, trace_flags: `0${traceFlags.toString(16)}` };
}
