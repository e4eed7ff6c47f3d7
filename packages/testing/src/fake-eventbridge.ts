import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from './aws-loopback.ts';

/**
 * A fake Amazon EventBridge (AWS JSON 1.1, X-Amz-Target AWSEvents.*) for tests: no emulator of
 * it is on the registry. PutEvents with AWS's request checks (1 to 10 entries, the entries'
 * total size) and per-entry results (ResourceNotFoundException for an unknown bus,
 * InvalidArgument for a missing field, NotAuthorizedForSourceException for an aws. source,
 * MalformedDetail for a Detail that is not a JSON object), DescribeEventBus, and what arrived on
 * each bus for tests to read. It checks no signature but records which access key signed each
 * call, so a test can tell the role's session credentials were used. Throttling and partial
 * failures come from the fault proxy in front of it.
 */

export const FAKE_EVENTBRIDGE_ACCOUNT = '000000000000';

/** An event as EventBridge hands it to rules and targets, with the Detail exactly as sent. */
export interface ArrivedEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
  /** The Detail string as PutEvents received it. */
  rawDetail: string;
}

export interface EventBridgeCall {
  action: string;
  accessKeyId: string | undefined;
}

export interface FakeEventBridge {
  readonly endpoint: string;
  readonly region: string;
  readonly calls: EventBridgeCall[];
  /** Creates a bus (with an optional customer managed key) and answers its ARN. */
  createBus(name: string, options?: { kmsKeyIdentifier?: string }): string;
  /** What arrived on a bus (by name or ARN), in order. */
  events(bus: string): ArrivedEvent[];
  stop(): Promise<void>;
}

// The current quota: an entry, and the entries of one call together, up to 1 MiB (256 KiB before 2026).
export const PUT_EVENTS_MAX_BYTES = 1_048_576;
const MAX_ENTRIES = 10;
const MAX_DETAIL_TYPE_CHARS = 128;

type Json = Record<string, unknown>;
type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const utf8 = (value: string | undefined) => (value ? Buffer.byteLength(value, 'utf8') : 0);

class AwsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function readJson(request: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  if (!isRecord(body)) throw new AwsError(400, 'SerializationException', 'The request body is not a JSON object.');
  return body;
}

/** EventBridge's own sizing: 14 bytes for Time, UTF-8 bytes of Source, DetailType, Detail and Resources. */
function entrySize(entry: Json): number {
  const resources = Array.isArray(entry.Resources) ? entry.Resources : [];
  return (
    (entry.Time !== undefined ? 14 : 0) +
    utf8(text(entry.Source)) +
    utf8(text(entry.DetailType)) +
    utf8(text(entry.Detail)) +
    resources.reduce<number>((sum, resource) => sum + utf8(text(resource)), 0)
  );
}

function parsedDetail(detail: string): Json | null {
  try {
    const value: unknown = JSON.parse(detail);
    return isRecord(value) ? value : null;
  } catch {
    return null;
  }
}

/** AWS JSON timestamps are epoch seconds (the SDK sends fractions); strings are taken as ISO 8601. */
function eventTime(value: unknown): string {
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(text(value) ?? Date.now());
  return `${(Number.isNaN(date.getTime()) ? new Date() : date).toISOString().slice(0, 19)}Z`;
}

export async function startFakeEventBridge(options: { region?: string } = {}): Promise<FakeEventBridge> {
  const region = options.region ?? 'us-east-1';
  const arnOf = (name: string) => `arn:aws:events:${region}:${FAKE_EVENTBRIDGE_ACCOUNT}:event-bus/${name}`;
  const buses = new Map<string, { name: string; kmsKeyIdentifier?: string; created: Date; events: ArrivedEvent[] }>();
  const calls: EventBridgeCall[] = [];
  const busNamed = (nameOrArn: string | undefined) => {
    const value = nameOrArn ?? 'default';
    return buses.get(value.startsWith('arn:') ? (value.split('event-bus/')[1] ?? '') : value);
  };
  const createBus: FakeEventBridge['createBus'] = (name, busOptions = {}) => {
    buses.set(name, { name, ...busOptions, created: new Date(), events: [] });
    return arnOf(name);
  };
  createBus('default');

  function putEntry(entry: Json): EntryResult {
    const invalid = (field: string, reason: string) => ({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Parameter ${field} is not valid. Reason: ${reason}`,
    });
    const source = text(entry.Source);
    const detailType = text(entry.DetailType);
    const detail = text(entry.Detail);
    const busName = text(entry.EventBusName);
    const bus = busNamed(busName);
    if (!bus) return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${busName} does not exist.` };
    if (!source) return invalid('Source', 'Source is a required argument.');
    if (!detailType) return invalid('DetailType', 'DetailType is a required argument.');
    if (detailType.length > MAX_DETAIL_TYPE_CHARS)
      return invalid('DetailType', `DetailType is longer than ${MAX_DETAIL_TYPE_CHARS} characters.`);
    if (!detail) return invalid('Detail', 'Detail is a required argument.');
    if (source.toLowerCase().startsWith('aws.'))
      return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
    const parsed = parsedDetail(detail);
    if (!parsed) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    const id = randomUUID();
    bus.events.push({
      version: '0',
      id,
      'detail-type': detailType,
      source,
      account: FAKE_EVENTBRIDGE_ACCOUNT,
      time: eventTime(entry.Time),
      region,
      resources: Array.isArray(entry.Resources) ? entry.Resources.flatMap((r) => text(r) ?? []) : [],
      detail: parsed,
      rawDetail: detail,
    });
    return { EventId: id };
  }

  function putEvents(body: Json) {
    const entries = Array.isArray(body.Entries) ? body.Entries : [];
    if (entries.length < 1 || entries.length > MAX_ENTRIES) {
      const bound = entries.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ENTRIES}`;
      throw new AwsError(
        400,
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${bound}`,
      );
    }
    const records = entries.map((entry) => (isRecord(entry) ? entry : {}));
    if (records.reduce((sum, entry) => sum + entrySize(entry), 0) > PUT_EVENTS_MAX_BYTES) {
      throw new AwsError(400, 'ValidationException', 'Total size of the entries in the request is over the limit.');
    }
    const results = records.map(putEntry);
    return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
  }

  function describeEventBus(body: Json) {
    const name = text(body.Name);
    const bus = busNamed(name);
    if (!bus) throw new AwsError(400, 'ResourceNotFoundException', `Event bus ${name} does not exist.`);
    return {
      Name: bus.name,
      Arn: arnOf(bus.name),
      ...(bus.kmsKeyIdentifier ? { KmsKeyIdentifier: bus.kmsKeyIdentifier } : {}),
      CreationTime: bus.created.getTime() / 1000,
      LastModifiedTime: bus.created.getTime() / 1000,
    };
  }

  function send(response: ServerResponse, status: number, body: unknown, errorType?: string) {
    response.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': randomUUID(),
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    });
    response.end(JSON.stringify(body));
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const target = String(request.headers['x-amz-target'] ?? '');
    const action = target.slice(target.lastIndexOf('.') + 1);
    calls.push({ action, accessKeyId: /Credential=([^/]+)\//.exec(request.headers.authorization ?? '')?.[1] });
    try {
      const body = await readJson(request);
      if (target === 'AWSEvents.PutEvents') return send(response, 200, putEvents(body));
      if (target === 'AWSEvents.DescribeEventBus') return send(response, 200, describeEventBus(body));
      throw new AwsError(400, 'UnknownOperationException', `Unknown operation ${target || '(none)'}`);
    } catch (error) {
      const failure = error instanceof AwsError ? error : new AwsError(500, 'InternalException', String(error));
      send(response, failure.status, { __type: failure.code, message: failure.message }, failure.code);
    }
  }

  const server = createServer((request, response) => void handle(request, response));
  const port = await listenOnLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    region,
    calls,
    createBus,
    events: (bus) => [...(busNamed(bus)?.events ?? [])],
    stop: () => closeServer(server),
  };
}
