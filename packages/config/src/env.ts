import { OTLP_PROTOCOLS, SAMPLERS, TRACE_EXPORTERS } from '@sluice/telemetry/tracing-settings';
import { z } from 'zod';

/**
 * The environment of the public contract (API.md, "Running"), in one schema. Every
 * process reads its configuration through `loadConfig`; nothing else touches process.env.
 */

// A fixed development key so a fresh clone runs without setup. It is public (it is in
// this file), so it is refused when NODE_ENV=production.
export const DEV_ENCRYPTION_KEY = 'c2x1aWNlLWRldi1vbmx5LWtleS1kby1ub3QtdXNlLSE=';

const urlWithProtocols = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );

const optionalUrl = urlWithProtocols(['http:', 'https:']).optional();

/** A comma-separated list, each item trimmed and empty ones dropped, then checked by `item`. */
const commaSeparated = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item));

const otlpProtocol = z.enum(OTLP_PROTOCOLS, {
  error: 'must be http/protobuf or http/json (Sluice exports OTLP over HTTP; grpc is not supported)',
});

// The standard OpenTelemetry variables Sluice reads itself; the OTLP exporter reads the rest
// (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION) and OTEL_RESOURCE_ATTRIBUTES directly.
const tracingVariables = {
  OTEL_SDK_DISABLED: z
    .string()
    .transform((value) => value.trim().toLowerCase() === 'true')
    .optional(),
  OTEL_TRACES_EXPORTER: commaSeparated(
    z.enum(TRACE_EXPORTERS, { error: 'lists exporters Sluice has: otlp, console or none' }),
  ).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalUrl,
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol.optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol.optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  OTEL_TRACES_SAMPLER: z.enum(SAMPLERS).optional(),
  OTEL_TRACES_SAMPLER_ARG: z.string().optional(),
};

const base64Key32 = z.string().refine((value) => Buffer.from(value, 'base64').length === 32, {
  message: 'must be 32 bytes encoded as base64 (e.g. `openssl rand -base64 32`)',
});

const positiveMs = z.coerce.number().int().min(1).max(3_600_000);
const count = z.coerce.number().int().min(1).max(1_000_000_000);

export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    DATABASE_URL: urlWithProtocols(['postgres:', 'postgresql:']).default(
      'postgres://postgres:postgres@127.0.0.1:5432/sluice',
    ),
    REDIS_URL: urlWithProtocols(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    // How long a worker holds claimed deliveries; a worker that dies releases them after this.
    DELIVERY_LEASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    // Drains one tenant may run at once in a worker process (of 16), even alone: past a few, the
    // process is busy and more drains only make other tenants' deliveries wait (see README).
    DRAIN_SLOTS_PER_TENANT: z.coerce.number().int().min(1).max(16).default(4),
    // Events whose deliveries are all delivered or discarded are deleted this many days after they
    // were received (with their deliveries and attempt logs); their idempotency keys become free.
    RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(30),
    // Audit rows (who replayed or discarded what) are kept this many days.
    AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(365),
    // The worker's Prometheus endpoint (delivery outcomes, send latency); 0 turns it off.
    WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    OPERATOR_API_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
    ENCRYPTION_KEY: base64Key32.optional(),
    // Comma-separated keys that sealed older secrets: they still open them during a rotation.
    ENCRYPTION_KEYS_PREVIOUS: commaSeparated(base64Key32).optional(),
    // The AWS principal customers' trust policies name, when STS GetCallerIdentity cannot say
    // (or to name a role with a path, which STS does not report).
    SERVICE_PRINCIPAL_ARN: z
      .string()
      .regex(/^arn:aws(-cn|-us-gov)?:(iam|sts)::\d{12}:\S+$/, 'must be an IAM ARN: arn:aws:iam::<account>:role/<name>')
      .optional(),
    // Where browsers reach the API (https://sluice.example.com), for portal URLs; default: the request's host.
    PUBLIC_URL: urlWithProtocols(['http:', 'https:'])
      .transform((value) => value.replace(/\/+$/, ''))
      .optional(),
    // Timeouts: a dependency that hangs becomes a quick error (503, a retry), never a hung request.
    DATABASE_STATEMENT_TIMEOUT_MS: positiveMs.default(10_000),
    DATABASE_CONNECT_TIMEOUT_MS: positiveMs.default(3_000),
    REDIS_COMMAND_TIMEOUT_MS: positiveMs.default(1_000),
    HTTP_REQUEST_TIMEOUT_MS: positiveMs.default(30_000),
    // Every tenant's limits unless an operator set its own (PATCH /v1/admin/tenants/{id}).
    DEFAULT_INGEST_PER_SECOND: count.default(1000),
    DEFAULT_INGEST_BURST: count.optional(),
    DEFAULT_MAX_DESTINATIONS: count.default(1000),
    DEFAULT_MAX_DESTINATIONS_PER_CUSTOMER: count.default(20),
    DEFAULT_DESTINATION_TESTS_PER_MINUTE: count.default(20),
    AWS_REGION: z.string().min(1).optional(),
    // AWS clients kept (one per service, region and destination credentials); beyond it the least
    // recently used is forgotten (never closed while it sends: clients share their region's sockets).
    AWS_CLIENT_CACHE_SIZE: z.coerce.number().int().min(1).max(1_000_000).default(2_000),
    // Role sessions kept (one per assume_role destination); beyond it a session is assumed again when next needed.
    AWS_ROLE_SESSION_CACHE_SIZE: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
    // Sockets per AWS host in each region, shared by every destination's client.
    AWS_MAX_SOCKETS: z.coerce.number().int().min(1).max(10_000).default(256),
    AWS_ENDPOINT_URL: optionalUrl,
    AWS_ENDPOINT_URL_SQS: optionalUrl,
    AWS_ENDPOINT_URL_SNS: optionalUrl,
    AWS_ENDPOINT_URL_KINESIS: optionalUrl,
    AWS_ENDPOINT_URL_EVENTBRIDGE: optionalUrl,
    AWS_ENDPOINT_URL_STS: optionalUrl,
    ...tracingVariables,
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== 'production') return;
    if (!env.ENCRYPTION_KEY) {
      ctx.addIssue({ code: 'custom', path: ['ENCRYPTION_KEY'], message: 'is required when NODE_ENV=production' });
    } else if (env.ENCRYPTION_KEY === DEV_ENCRYPTION_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['ENCRYPTION_KEY'],
        message: 'is the public development key; generate your own',
      });
    }
  });

export type Env = z.infer<typeof envSchema>;

/** Endpoint override per AWS service, from the SDK's standard variables (AWS_ENDPOINT_URL[_SERVICE]). */
export interface AwsEndpoints {
  sqs?: string | undefined;
  sns?: string | undefined;
  kinesis?: string | undefined;
  eventbridge?: string | undefined;
  sts?: string | undefined;
}

export interface TenantLimits {
  ingestPerSecond: number;
  ingestBurst: number;
  maxDestinations: number;
  maxDestinationsPerCustomer: number;
  destinationTestsPerMinute: number;
}

export interface Config extends Env {
  /** The key used to encrypt stored AWS secrets; the dev key outside production. */
  encryptionKey: Buffer;
  previousEncryptionKeys: Buffer[];
  usingDevEncryptionKey: boolean;
  /** A tenant's limits when the operator set none (API.md, "Keys and tenants"). */
  defaultTenantLimits: TenantLimits;
  awsEndpoints: AwsEndpoints;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses an environment (process.env by default); throws ConfigError listing every bad value. */
export function parseConfig(source: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset", as in most .env tooling.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`));
  }
  const env = result.data;
  const encryptionKey = env.ENCRYPTION_KEY ?? DEV_ENCRYPTION_KEY;
  const shared = env.AWS_ENDPOINT_URL;
  return {
    ...env,
    encryptionKey: Buffer.from(encryptionKey, 'base64'),
    previousEncryptionKeys: (env.ENCRYPTION_KEYS_PREVIOUS ?? []).map((key) => Buffer.from(key, 'base64')),
    usingDevEncryptionKey: encryptionKey === DEV_ENCRYPTION_KEY,
    defaultTenantLimits: {
      ingestPerSecond: env.DEFAULT_INGEST_PER_SECOND,
      ingestBurst: env.DEFAULT_INGEST_BURST ?? env.DEFAULT_INGEST_PER_SECOND * 2,
      maxDestinations: env.DEFAULT_MAX_DESTINATIONS,
      maxDestinationsPerCustomer: env.DEFAULT_MAX_DESTINATIONS_PER_CUSTOMER,
      destinationTestsPerMinute: env.DEFAULT_DESTINATION_TESTS_PER_MINUTE,
    },
    awsEndpoints: {
      sqs: env.AWS_ENDPOINT_URL_SQS ?? shared,
      sns: env.AWS_ENDPOINT_URL_SNS ?? shared,
      kinesis: env.AWS_ENDPOINT_URL_KINESIS ?? shared,
      eventbridge: env.AWS_ENDPOINT_URL_EVENTBRIDGE ?? shared,
      sts: env.AWS_ENDPOINT_URL_STS ?? shared,
    },
  };
}

/** For process entry points: a bad environment prints every problem and exits with code 1. */
export function loadConfigOrExit(): Config {
  try {
    return parseConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}
