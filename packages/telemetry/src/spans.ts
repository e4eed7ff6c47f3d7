import {
  type Attributes,
  type Context,
  context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { isTracingOn } from './tracing.ts';

/**
 * Sluice's own spans. Every helper does nothing while tracing is off (no span object, no context
 * switch), so instrumented code costs the same as before when no exporter is configured.
 */

export type { Span };
export { SpanKind };

export const tracer = () => trace.getTracer('sluice');

/** Runs `work` in a new active span (a child of the active one, or of `parent`), ended when it settles. */
export async function inSpan<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; links?: Link[]; parent?: Context },
  work: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  if (!isTracingOn()) return work(undefined);
  const { parent, ...spanOptions } = options;
  return tracer().startActiveSpan(name, spanOptions, parent ?? context.active(), async (span) => {
    try {
      return await work(span);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

export function failSpan(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/**
 * The active span's context as a W3C traceparent, to keep beside a record that another process
 * picks up later (an event row); null while tracing is off or outside any span.
 */
export function activeTraceparent(): string | null {
  if (!isTracingOn() || !trace.getSpan(context.active())) return null;
  const carrier: { traceparent?: string } = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/** The remote context a stored traceparent names, to start spans in that trace. */
export function contextOfTraceparent(traceparent: string | null): Context | undefined {
  if (!traceparent || !isTracingOn()) return undefined;
  const extracted = propagation.extract(ROOT_CONTEXT, { traceparent });
  return trace.getSpan(extracted) ? extracted : undefined;
}

/** A link to the span a stored traceparent names (a batch's span linking the events it carries). */
export function linkToTraceparent(traceparent: string | null): Link | undefined {
  const parent = contextOfTraceparent(traceparent);
  const spanContext = parent ? trace.getSpanContext(parent) : undefined;
  return spanContext ? { context: spanContext } : undefined;
}
