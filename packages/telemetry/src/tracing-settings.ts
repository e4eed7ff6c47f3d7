/**
 * Whether and how a process exports traces, from the standard OpenTelemetry variables (validated
 * by the config's env schema). Tracing is off unless an exporter is configured: OTEL_TRACES_EXPORTER
 * names `otlp` or `console`, or, with that variable unset, an OTLP endpoint is given. Off means no
 * SDK is loaded at all, so it costs nothing.
 */
export interface TracingEnv {
  OTEL_SDK_DISABLED?: boolean | undefined;
  OTEL_TRACES_EXPORTER?: string[] | undefined;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_PROTOCOL?: OtlpProtocol | undefined;
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?: OtlpProtocol | undefined;
  OTEL_SERVICE_NAME?: string | undefined;
  OTEL_TRACES_SAMPLER?: SamplerName | undefined;
  OTEL_TRACES_SAMPLER_ARG?: string | undefined;
}

export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

export const TRACE_EXPORTERS = ['otlp', 'console', 'none'] as const;

export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLERS)[number];

export interface TracingSettings {
  serviceName: string;
  /** OTLP over HTTP with this encoding, when the otlp exporter is on. */
  otlp: { protocol: OtlpProtocol } | null;
  console: boolean;
  sampler: { name: SamplerName; ratio: number };
}

/** The settings, or null when tracing is off. `defaultServiceName` applies unless OTEL_SERVICE_NAME says otherwise. */
export function tracingSettings(env: TracingEnv, defaultServiceName: string): TracingSettings | null {
  if (env.OTEL_SDK_DISABLED) return null;
  const named = env.OTEL_TRACES_EXPORTER;
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const otlp = named ? named.includes('otlp') : endpoint !== undefined;
  const console = named?.includes('console') ?? false;
  if (!otlp && !console) return null;
  const ratio = Number(env.OTEL_TRACES_SAMPLER_ARG ?? '1');
  return {
    serviceName: env.OTEL_SERVICE_NAME ?? defaultServiceName,
    // The specification's default protocol is http/protobuf.
    otlp: otlp
      ? { protocol: env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf' }
      : null,
    console,
    sampler: {
      name: env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on',
      ratio: Number.isFinite(ratio) ? Math.min(1, Math.max(0, ratio)) : 1,
    },
  };
}
