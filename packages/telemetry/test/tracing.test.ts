import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, parseConfig } from '@sluice/config/env';
import { inSpan } from '@sluice/telemetry/spans';
import { isTracingOn, startTracing } from '@sluice/telemetry/tracing';
import { tracingSettings } from '@sluice/telemetry/tracing-settings';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const settingsFrom = (env: Record<string, string>, name = 'sluice-api') => tracingSettings(parseConfig(env), name);

describe('tracing settings from the standard OTEL_* variables', () => {
  it('is off unless an exporter is configured', () => {
    expect(settingsFrom({})).toBeNull();
    expect(settingsFrom({ OTEL_TRACES_EXPORTER: 'none' })).toBeNull();
    expect(
      settingsFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }),
    ).toBeNull();
    expect(
      settingsFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' }),
    ).toBeNull();
  });

  it('turns on with an endpoint or a named exporter, http/protobuf unless the protocol says otherwise', () => {
    expect(settingsFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({
      serviceName: 'sluice-api',
      otlp: { protocol: 'http/protobuf' },
      console: false,
      sampler: { name: 'parentbased_always_on', ratio: 1 },
    });
    expect(
      settingsFrom({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, 'sluice-worker'),
    ).toMatchObject({ serviceName: 'sluice-worker', otlp: { protocol: 'http/json' } });
    expect(
      settingsFrom({
        OTEL_TRACES_EXPORTER: 'otlp,console',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
        OTEL_SERVICE_NAME: 'billing-sluice',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
      }),
    ).toEqual({
      serviceName: 'billing-sluice',
      otlp: { protocol: 'http/protobuf' },
      console: true,
      sampler: { name: 'parentbased_traceidratio', ratio: 0.25 },
    });
  });

  it('refuses what Sluice cannot do, naming the variable', () => {
    const refusal = (() => {
      try {
        parseConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_TRACES_EXPORTER: 'zipkin' });
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(ConfigError);
    expect(refusal instanceof ConfigError && refusal.problems).toEqual([
      'OTEL_TRACES_EXPORTER.0 lists exporters Sluice has: otlp, console or none',
      'OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json (Sluice exports OTLP over HTTP; grpc is not supported)',
    ]);
  });
});

describe('OTLP over HTTP to a collector', () => {
  const received: { path: string; contentType: string; body: Buffer }[] = [];
  let server: Server;
  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({
          path: request.url ?? '',
          contentType: request.headers['content-type'] ?? '',
          body: Buffer.concat(chunks),
        });
        response.writeHead(200, { 'content-type': request.headers['content-type'] ?? 'application/json' });
        response.end(request.headers['content-type']?.includes('json') ? '{}' : '');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    await new Promise((resolve) => server.close(resolve));
  });

  for (const [protocol, contentType] of [
    ['http/json', 'application/json'],
    ['http/protobuf', 'application/x-protobuf'],
  ] as const) {
    it(`exports ${protocol} to $OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces with the service name`, async () => {
      received.length = 0;
      const settings = settingsFrom({
        OTEL_EXPORTER_OTLP_ENDPOINT: process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '',
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      });
      const tracing = await startTracing(settings!, {});
      expect(isTracingOn()).toBe(true);
      await inSpan('exported span', {}, async () => {});
      await tracing.flush();
      await tracing.shutdown();
      expect(isTracingOn()).toBe(false);
      expect(received).toEqual([{ path: '/v1/traces', contentType, body: expect.any(Buffer) }]);
      // Both encodings carry the names as text (protobuf strings are UTF-8 bytes).
      const body = received[0]!.body.toString('utf8');
      expect(body).toContain('sluice-api');
      expect(body).toContain('exported span');
    });
  }
});
