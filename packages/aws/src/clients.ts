import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { AwsEndpoints } from '@sluice/config/env';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import { traceAwsCalls } from './call-tracing.ts';
import type { DestinationCredentials } from './credentials.ts';
import { createHttpHandler, type HttpTimeouts } from './http-handler.ts';

/**
 * SQS, SNS, Kinesis and EventBridge clients cached per service, region and credential identity: creating a
 * client per send would resolve credentials (and cost a few milliseconds of CPU) per send.
 *
 * Every client of a region shares that region's HTTP handler, and so its keep-alive sockets: a
 * client owns nothing that needs closing. Evicting one only forgets it, so a send still running
 * on it finishes normally (destroying it would abort that send, whose retry could then arrive
 * twice). The handlers are closed once, at shutdown.
 */

export interface ClientTarget {
  region: string;
  credentials: DestinationCredentials;
}

export interface AwsClientCache {
  sqs(target: ClientTarget): SQSClient;
  sns(target: ClientTarget): SNSClient;
  kinesis(target: ClientTarget): KinesisClient;
  eventBridge(target: ClientTarget): EventBridgeClient;
  size(): number;
  /**
   * Forgets the clients of these credentials. The SDK keeps a client's credentials until shortly
   * before they expire; after AWS says ExpiredToken, only a new client asks for fresh ones.
   */
  forget(credentials: DestinationCredentials): void;
  /** Closes every region's sockets and forgets every client (at shutdown). */
  destroy(): void;
}

export interface AwsClientCacheOptions {
  /** Endpoint overrides per service (Config.awsEndpoints). */
  endpoints?: AwsEndpoints;
  /** Most clients kept (AWS_CLIENT_CACHE_SIZE); the least recently used is forgotten beyond it. */
  maxClients?: number;
  /** Timeouts, and sockets per host of each region's shared handler (AWS_MAX_SOCKETS). */
  timeouts?: HttpTimeouts;
}

type AwsClient = SQSClient | SNSClient | KinesisClient | EventBridgeClient;

export const DEFAULT_MAX_CLIENTS = 2_000;

export function createAwsClientCache(options: AwsClientCacheOptions = {}): AwsClientCache {
  const endpoints = options.endpoints ?? {};
  const maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS;
  const clients = new Map<string, AwsClient>();
  const handlers = new Map<string, NodeHttpHandler>();

  function handlerFor(region: string): NodeHttpHandler {
    let handler = handlers.get(region);
    if (!handler) {
      handler = createHttpHandler(options.timeouts);
      handlers.set(region, handler);
    }
    return handler;
  }

  // Sluice retries per delivery with its own backoff (and knows which entries of a batch
  // failed), so the SDK makes one attempt.
  const common = (target: ClientTarget) => ({
    region: target.region,
    credentials: target.credentials.provider,
    requestHandler: handlerFor(target.region),
    maxAttempts: 1,
  });

  function remember<T extends AwsClient>(key: string, client: T): T {
    clients.set(key, client);
    while (clients.size > maxClients) {
      const oldest = clients.keys().next();
      if (oldest.done) break;
      clients.delete(oldest.value);
    }
    return client;
  }

  function lookup(key: string): AwsClient | undefined {
    const client = clients.get(key);
    if (client) {
      clients.delete(key);
      clients.set(key, client);
    }
    return client;
  }

  /** The cached client of this service, region and identity, or a new one from `make`. */
  function clientFor<T extends AwsClient>(
    service: string,
    target: ClientTarget,
    isKind: (client: AwsClient) => client is T,
    make: () => T,
  ): T {
    const key = `${service}|${target.region}|${target.credentials.cacheKey}`;
    const cached = lookup(key);
    return cached && isKind(cached) ? cached : remember(key, make());
  }

  return {
    sqs: (target) =>
      clientFor(
        'SQS',
        target,
        (c) => c instanceof SQSClient,
        // The endpoint comes from the region (or the override), never from the queue URL's host.
        () => {
          const client = new SQSClient({ ...common(target), endpoint: endpoints.sqs, useQueueUrlAsEndpoint: false });
          traceAwsCalls(client.middlewareStack, 'SQS', target.region);
          return client;
        },
      ),
    sns: (target) =>
      clientFor(
        'SNS',
        target,
        (c) => c instanceof SNSClient,
        () => {
          const client = new SNSClient({ ...common(target), endpoint: endpoints.sns });
          traceAwsCalls(client.middlewareStack, 'SNS', target.region);
          return client;
        },
      ),
    kinesis: (target) =>
      clientFor(
        'Kinesis',
        target,
        (c) => c instanceof KinesisClient,
        () => {
          const client = new KinesisClient({ ...common(target), endpoint: endpoints.kinesis });
          traceAwsCalls(client.middlewareStack, 'Kinesis', target.region);
          return client;
        },
      ),
    eventBridge: (target) =>
      clientFor(
        'EventBridge',
        target,
        (c) => c instanceof EventBridgeClient,
        () => {
          const client = new EventBridgeClient({ ...common(target), endpoint: endpoints.eventbridge });
          traceAwsCalls(client.middlewareStack, 'EventBridge', target.region);
          return client;
        },
      ),
    size: () => clients.size,
    forget(credentials) {
      for (const key of clients.keys()) if (key.endsWith(`|${credentials.cacheKey}`)) clients.delete(key);
    },
    destroy() {
      clients.clear();
      for (const handler of handlers.values()) handler.destroy();
      handlers.clear();
    },
  };
}
