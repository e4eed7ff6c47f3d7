import { context, DiagLogLevel, diag, propagation, trace } from '@opentelemetry/api';
import type { Sampler, SpanExporter } from '@opentelemetry/sdk-trace';
import type { SamplerName, TracingSettings } from './tracing-settings.ts';

/**
 * The OpenTelemetry SDK of one process: a tracer provider with the process's service.name, the
 * AsyncLocalStorage context manager and the W3C propagators, registered globally so that every
 * `trace.getTracer()` reaches it. Started only when tracing is on (see tracing-settings.ts): the
 * SDK is imported here, on demand, so a process without tracing never loads it, and everything
 * that traces asks isTracingOn() before doing any work.
 */
export interface Tracing {
  /** Exports what has ended so far. */
  flush(): Promise<void>;
  /** Exports what is left and unregisters the SDK. */
  shutdown(): Promise<void>;
}

let running: Tracing | undefined;

/** True while a tracer provider is registered in this process. */
export function isTracingOn(): boolean {
  return running !== undefined;
}

export interface TracingOptions {
  /** Where the SDK's own problems (an unreachable collector) go. */
  warn?: (message: string) => void;
  /** Instead of the configured exporters, and exported at once (tests read an in-memory exporter). */
  exporter?: SpanExporter;
}

async function exporterFor(protocol: 'http/protobuf' | 'http/json'): Promise<SpanExporter> {
  // Endpoint, headers, timeout and compression come from the standard OTEL_EXPORTER_OTLP_* variables.
  if (protocol === 'http/json')
    return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
  return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
}

async function samplerFor(name: SamplerName, ratio: number): Promise<Sampler> {
  const sdk = await import('@opentelemetry/sdk-trace');
  const root = name.endsWith('always_off')
    ? new sdk.AlwaysOffSampler()
    : name.endsWith('traceidratio')
      ? new sdk.TraceIdRatioBasedSampler(ratio)
      : new sdk.AlwaysOnSampler();
  return name.startsWith('parentbased_') ? new sdk.ParentBasedSampler({ root }) : root;
}

export async function startTracing(settings: TracingSettings, options: TracingOptions = {}): Promise<Tracing> {
  if (running) throw new Error('tracing is already started in this process');
  const [sdk, { AsyncLocalStorageContextManager }, core, resources, semconv] = await Promise.all([
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions'),
  ]);
  const warn = options.warn;
  if (warn) {
    const log = (message: string, ...args: unknown[]) => warn([message, ...args.map(String)].join(' '));
    diag.setLogger({ error: log, warn: log, info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);
  }

  const processors = [];
  if (options.exporter) processors.push(new sdk.SimpleSpanProcessor({ exporter: options.exporter }));
  else {
    if (settings.otlp)
      processors.push(new sdk.BatchSpanProcessor({ exporter: await exporterFor(settings.otlp.protocol) }));
    if (settings.console) processors.push(new sdk.BatchSpanProcessor({ exporter: new sdk.ConsoleSpanExporter() }));
  }
  // OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME (the env detector) win over the default name.
  const resource = resources
    .resourceFromAttributes({ [semconv.ATTR_SERVICE_NAME]: settings.serviceName })
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new sdk.TracerProvider({
    resource,
    sampler: await samplerFor(settings.sampler.name, settings.sampler.ratio),
    spanProcessors: processors,
  });

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new core.CompositePropagator({
      propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()],
    }),
  );
  trace.setGlobalTracerProvider(provider);

  const tracing: Tracing = {
    flush: () => provider.forceFlush(),
    async shutdown() {
      if (running !== tracing) return;
      running = undefined;
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
  running = tracing;
  return tracing;
}
