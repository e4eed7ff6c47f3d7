import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { createLogger } from '@sluice/logger/logger';
import { inSpan } from '@sluice/telemetry/spans';
import { startTracing, type Tracing } from '@sluice/telemetry/tracing';
import { collectMessages } from '@sluice/testing/aws-test-resources';
import { type DeliveryFixture, startDeliveryFixture } from '@sluice/testing/delivery-fixture';
import { sampleEvent, waitFor } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Tracing starts before the API and the workers are built, as in main.ts; spans go to memory.
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let fx: DeliveryFixture;
beforeAll(async () => {
  tracing = await startTracing(
    { serviceName: 'sluice-api', otlp: null, console: false, sampler: { name: 'parentbased_always_on', ratio: 1 } },
    { exporter },
  );
  fx = await startDeliveryFixture();
});
afterAll(async () => {
  await fx.close();
  await tracing.shutdown();
});

const spans = () => exporter.getFinishedSpans();
const idOf = (span: ReadableSpan) => span.spanContext().spanId;

describe('tracing', () => {
  it("makes one event's way from POST /v1/events to its SQS send one connected trace", async () => {
    const { queueUrl, post } = await fx.sqsDestination('traced');
    const eventId = await post();
    const [message] = await collectMessages(fx.aws.sqs, queueUrl, 1);
    expect(JSON.parse(message!.Body!).id).toBe(eventId);

    const send = await waitFor(async () =>
      spans().find((s) => s.kind === SpanKind.PRODUCER && s.attributes['sluice.event.id'] === eventId),
    );
    const traceId = send.spanContext().traceId;
    const trace = spans().filter((s) => s.spanContext().traceId === traceId);
    const byId = new Map(trace.map((s) => [idOf(s), s]));

    // One root, the request; every other span's parent is in the same trace.
    const roots = trace.filter((s) => !s.parentSpanContext);
    expect(roots.map((s) => [s.name, s.kind])).toEqual([['POST /v1/events', SpanKind.SERVER]]);
    for (const span of trace) if (span.parentSpanContext) expect(byId.has(span.parentSpanContext.spanId)).toBe(true);

    // The send descends from the request, and so does the event's fan-out.
    const ancestry = (span: ReadableSpan): string[] => {
      const parent = span.parentSpanContext && byId.get(span.parentSpanContext.spanId);
      return parent ? [parent.name, ...ancestry(parent)] : [];
    };
    expect(ancestry(send).at(-1)).toBe('POST /v1/events');
    expect(trace.some((s) => s.name === 'fan-out' && s.attributes['sluice.event.id'] === eventId)).toBe(true);
    expect(send.attributes).toMatchObject({
      'messaging.system': 'aws_sqs',
      'messaging.message.id': message!.MessageId,
    });

    // The batch call it rode in is linked: a span of the drain round, whose child is the AWS call.
    const call = spans().find((s) => idOf(s) === send.links[0]?.context.spanId);
    expect(call?.attributes['messaging.batch.message_count']).toBe(1);
    const awsCall = spans().find(
      (s) => s.name === 'SQS.SendMessageBatch' && s.parentSpanContext?.spanId === idOf(call!),
    );
    expect(awsCall?.attributes).toMatchObject({ 'rpc.system': 'aws-api', 'rpc.method': 'SendMessageBatch' });
    const round = spans().find((s) => idOf(s) === call!.parentSpanContext?.spanId);
    expect(round?.name).toBe('drain round');
    expect(spans().some((s) => s.name === 'STS.AssumeRole')).toBe(true);
    expect(send.resource.attributes['service.name']).toBe('sluice-api');
  });

  it('continues the trace a client sends in traceparent', async () => {
    const { customerExternalId } = await fx.sqsDestination('traced-by-client');
    const clientTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await fx.stack.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { ...fx.auth, traceparent: `00-${clientTrace}-00f067aa0ba902b7-01` },
      payload: sampleEvent({ customerExternalId }),
    });
    expect(response.statusCode).toBe(202);
    const eventId = response.json().id;
    const send = await waitFor(async () =>
      spans().find((s) => s.kind === SpanKind.PRODUCER && s.attributes['sluice.event.id'] === eventId),
    );
    expect(send.spanContext().traceId).toBe(clientTrace);
  });

  it('puts the trace id in every log line written within a span', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      hooks: {
        streamWrite: (line) => {
          lines.push(line);
          return '';
        },
      },
    });
    await inSpan('logging', {}, async (span) => {
      logger.info('inside');
      expect(JSON.parse(lines[0]!)).toMatchObject({
        msg: 'inside',
        trace_id: span!.spanContext().traceId,
        span_id: span!.spanContext().spanId,
      });
    });
    logger.info('outside');
    expect(JSON.parse(lines[1]!).trace_id).toBeUndefined();
  });
});
