import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface HttpTimeouts {
  /** Time to open a connection. */
  connectionTimeoutMs?: number;
  /** Time for the whole request and answer. */
  requestTimeoutMs?: number;
  maxSockets?: number;
}

/**
 * An HTTP/1.1 handler with keep-alive and bounded timeouts, for every AWS client Sluice makes.
 * HTTP/1.1 also for Kinesis, whose client would otherwise try HTTP/2 (emulators speak only 1.1).
 * Each client gets its own handler: destroying a client destroys its handler's agents.
 */
export function createHttpHandler({
  connectionTimeoutMs = 3_000,
  requestTimeoutMs = 10_000,
  maxSockets = 50,
}: HttpTimeouts = {}): NodeHttpHandler {
  return new NodeHttpHandler({
    connectionTimeout: connectionTimeoutMs,
    requestTimeout: requestTimeoutMs,
    // Without this the SDK only warns when requestTimeout passes and keeps waiting.
    throwOnRequestTimeout: true,
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
  });
}
