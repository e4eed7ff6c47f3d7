import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface HttpTimeouts {
  /** Time to open a connection. */
  connectionTimeoutMs?: number;
  /** Time for the whole request and answer. */
  requestTimeoutMs?: number;
  /** Sockets per host; a region's clients share them (AWS_MAX_SOCKETS). */
  maxSockets?: number;
}

/**
 * An HTTP/1.1 handler with keep-alive and bounded timeouts, for every AWS client Sluice makes.
 * HTTP/1.1 also for Kinesis, whose client would otherwise try HTTP/2 (emulators speak only 1.1).
 * The client cache shares one handler per region; destroying it closes its agents' sockets.
 * Both timeouts count from the request's start, waiting for a free socket included.
 */
export function createHttpHandler({
  connectionTimeoutMs = 3_000,
  requestTimeoutMs = 10_000,
  maxSockets = 256,
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
