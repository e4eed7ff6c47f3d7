import { createServer, type IncomingMessage } from 'node:http';

/**
 * A loopback HTTP proxy in front of the real API that answers the next requests as told (a 429
 * with Retry-After, a 503, a reset connection) and forwards every other request unchanged. The API
 * has no rate limit of its own on this branch; this makes real 429 answers on the wire.
 */
export type ScriptedAnswer = { status: number; headers?: Record<string, string>; body?: unknown } | 'reset';

export interface FlakyProxy {
  url: string;
  /** Every request that reached the proxy, in order, with when it arrived. */
  seen: { method: string; path: string; at: number; answered: 'scripted' | 'forwarded' }[];
  answerNext(...answers: ScriptedAnswer[]): void;
  close(): Promise<void>;
}

const hopByHop = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

async function bodyOf(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(Buffer.from(chunk));
  return chunks.length ? Buffer.concat(chunks) : undefined;
}

export async function startFlakyProxy(upstream: string): Promise<FlakyProxy> {
  const script: ScriptedAnswer[] = [];
  const seen: FlakyProxy['seen'] = [];
  const server = createServer(async (request, response) => {
    const body = await bodyOf(request);
    const answer = script.shift();
    seen.push({
      method: request.method ?? 'GET',
      path: request.url ?? '/',
      at: Date.now(),
      answered: answer ? 'scripted' : 'forwarded',
    });
    if (answer === 'reset') {
      request.socket.destroy();
      return;
    }
    if (answer) {
      response.writeHead(answer.status, { 'content-type': 'application/problem+json', ...answer.headers });
      response.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      return;
    }
    const headers = Object.entries(request.headers).flatMap(([name, value]) =>
      hopByHop.has(name) || value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value]],
    );
    const forwarded = await fetch(new URL(request.url ?? '/', upstream), {
      method: request.method,
      headers: Object.fromEntries(headers),
      body,
    });
    const answerHeaders: Record<string, string> = {};
    forwarded.headers.forEach((value, name) => {
      if (!hopByHop.has(name) && name !== 'content-encoding') answerHeaders[name] = value;
    });
    response.writeHead(forwarded.status, answerHeaders);
    response.end(Buffer.from(await forwarded.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the proxy has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    seen,
    answerNext: (...answers) => script.push(...answers),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
