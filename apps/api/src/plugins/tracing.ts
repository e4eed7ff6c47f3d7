import { isTracingOn } from '@sluice/telemetry/tracing';
import type { FastifyInstance } from 'fastify';

// Probes run every few seconds and say nothing a trace would help with.
const UNTRACED = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * A server span for each API request (Fastify's own OpenTelemetry plugin), continuing the
 * caller's trace when it sends a `traceparent`; the handler runs inside it, so what the request
 * stores (an event's trace context) and logs (trace ids) belongs to it. Registered before the
 * other hooks and routes so that it covers them; nothing at all while tracing is off.
 */
export async function registerTracing(app: FastifyInstance): Promise<void> {
  if (!isTracingOn()) return;
  const { FastifyOtelInstrumentation } = await import('@fastify/otel');
  const instrumentation = new FastifyOtelInstrumentation({
    // One span per request and one for its handler, not one per hook.
    instrumentHooks: false,
    ignorePaths: (route) => UNTRACED.has(route.url ?? ''),
    requestHook: (span, request) => span.updateName(`${request.method} ${request.routeOptions.url ?? request.url}`),
  });
  await app.register(instrumentation.plugin());
}
