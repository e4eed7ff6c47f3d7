import { randomUUID } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { rewriteBatchRequest, rewriteBatchResponse, type UpstreamAnswer } from './aws-batch-faults.ts';
import { closeServer, listenOnLoopback } from './aws-loopback.ts';

/**
 * A fault-injecting HTTP proxy on loopback in front of an emulator. No emulator throttles,
 * fails with 5xx, denies access or fails part of a batch; this proxy does, for the next N
 * requests of a given AWS action, so tests exercise Sluice's classification and retries.
 */

export type Fault =
  /**
   * Answer with an AWS-shaped error in the request's own protocol (JSON or query/XML), after
   * `afterMs` when given (a call held in flight, then failing).
   */
  | { kind: 'error'; status: number; code: string; message?: string; afterMs?: number }
  /** Destroy the socket without answering (ECONNRESET / socket hang up in the client). */
  | { kind: 'reset' }
  /** Wait, then forward (for client timeouts). */
  | { kind: 'delay'; ms: number }
  /**
   * Report chosen entries of a batch call as failed (SQS SendMessageBatch, SNS PublishBatch,
   * Kinesis PutRecords, EventBridge PutEvents): only the other entries are forwarded, and the
   * failures are merged into the emulator's answer. `select` gets the entry keys (the batch entry
   * Id for SQS/SNS, the entry's index as a string for Kinesis and EventBridge) and returns the keys to fail.
   */
  | {
      kind: 'failEntries';
      select: (keys: string[]) => string[];
      code: string;
      message?: string;
      senderFault?: boolean;
    };

export interface FaultRule {
  /** The AWS action, e.g. 'SendMessageBatch', 'PublishBatch', 'PutRecords', 'GetQueueAttributes'; '*' for any. */
  action: string;
  fault: Fault;
  /** How many matching requests get the fault (default 1). */
  times?: number;
}

export interface ProxiedRequest {
  action: string;
  fault: Fault['kind'] | null;
}

export interface FaultProxy {
  readonly endpoint: string;
  readonly requests: ProxiedRequest[];
  inject(rule: FaultRule): void;
  clear(): void;
  stop(): Promise<void>;
}

type Protocol = 'json' | 'query';

interface ActiveRule extends FaultRule {
  remaining: number;
}

function actionOf(headers: IncomingHttpHeaders, body: string, url: string): { action: string; protocol: Protocol } {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') return { action: target.slice(target.lastIndexOf('.') + 1), protocol: 'json' };
  const fromBody = new URLSearchParams(body).get('Action');
  const fromQuery = new URL(url, 'http://proxy').searchParams.get('Action');
  return { action: fromBody ?? fromQuery ?? '', protocol: 'query' };
}

function errorBody(protocol: Protocol, code: string, message: string, status: number) {
  if (protocol === 'json') {
    return {
      contentType: 'application/x-amz-json-1.0',
      // SQS's JSON protocol keeps its old query error codes in this header; the SDK prefers it.
      headers: { 'x-amzn-query-error': `${code};${status >= 500 ? 'Receiver' : 'Sender'}` },
      body: JSON.stringify({ __type: code, message }),
    };
  }
  return {
    contentType: 'text/xml',
    headers: {},
    body:
      `<ErrorResponse><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${code}</Code>` +
      `<Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

function forward(target: URL, request: IncomingMessage, body: Buffer): Promise<UpstreamAnswer> {
  return new Promise((resolve, reject) => {
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, 'content-length': String(body.length) },
      },
      (response) => {
        readBody(response).then(
          (answer) => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: answer }),
          reject,
        );
      },
    );
    upstream.on('error', reject);
    upstream.end(body);
  });
}

function reply(response: ServerResponse, answer: UpstreamAnswer) {
  const headers = { ...answer.headers, 'content-length': String(answer.body.length) };
  delete headers['transfer-encoding'];
  response.writeHead(answer.status, headers);
  response.end(answer.body);
}

export async function startFaultProxy({ target }: { target: string }): Promise<FaultProxy> {
  const targetUrl = new URL(target);
  const rules: ActiveRule[] = [];
  const requests: ProxiedRequest[] = [];

  function takeFault(action: string): Fault | null {
    const rule = rules.find(
      (candidate) => candidate.remaining > 0 && (candidate.action === action || candidate.action === '*'),
    );
    if (!rule) return null;
    rule.remaining -= 1;
    return rule.fault;
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const body = await readBody(request);
    const { action, protocol } = actionOf(request.headers, body.toString('utf8'), request.url ?? '/');
    const fault = takeFault(action);
    requests.push({ action, fault: fault?.kind ?? null });

    if (fault?.kind === 'reset') {
      request.socket.destroy();
      return;
    }
    if (fault?.kind === 'error') {
      if (fault.afterMs) await new Promise((resolve) => setTimeout(resolve, fault.afterMs));
      const shaped = errorBody(protocol, fault.code, fault.message ?? `Injected ${fault.code}`, fault.status);
      response.writeHead(fault.status, { 'content-type': shaped.contentType, ...shaped.headers });
      response.end(shaped.body);
      return;
    }
    if (fault?.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    if (fault?.kind === 'failEntries') {
      const rewritten = rewriteBatchRequest(action, body, fault.select);
      if (rewritten) {
        const failure = {
          code: fault.code,
          message: fault.message ?? `Injected ${fault.code}`,
          senderFault: fault.senderFault ?? false,
        };
        const answer = rewritten.forwardedKeys.length > 0 ? await forward(targetUrl, request, rewritten.body) : null;
        reply(response, rewriteBatchResponse(rewritten, answer, failure));
        return;
      }
    }
    reply(response, await forward(targetUrl, request, body));
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) return void response.destroy();
      response.writeHead(502, { 'content-type': 'text/plain' });
      response.end(`fault proxy: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  const port = await listenOnLoopback(server);

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    inject: (rule) => void rules.push({ ...rule, remaining: rule.times ?? 1 }),
    clear: () => {
      rules.length = 0;
      requests.length = 0;
    },
    stop: () => closeServer(server),
  };
}
