import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { AwsEndpoints } from '@sluice/config/env';
import { traceAwsCalls } from './call-tracing.ts';
import type { DestinationCredentials } from './credentials.ts';
import { createHttpHandler, type HttpTimeouts } from './http-handler.ts';

/**
 * SQS, SNS and Kinesis clients cached per service, region and credential identity: creating a
 * client per send would open a connection (and resolve credentials) per send. The cache is
 * bounded; an evicted client is destroyed, which closes its sockets.
 */

export interface ClientTarget {
  region: string;
  credentials: DestinationCredentials;
}

export interface AwsClientCache {
  sqs(target: ClientTarget): SQSClient;
  sns(target: ClientTarget): SNSClient;
  kinesis(target: ClientTarget): KinesisClient;
  size(): number;
  /**
   * Destroys the clients of these credentials. The SDK keeps a client's credentials until shortly
   * before they expire; after AWS says ExpiredToken, only a new client asks for fresh ones.
   */
  forget(credentials: DestinationCredentials): void;
  /** Destroys every cached client (at shutdown). */
  destroy(): void;
}

export interface AwsClientCacheOptions {
  /** Endpoint overrides per service (Config.awsEndpoints). */
  endpoints?: AwsEndpoints;
  /** Most clients kept; the least recently used is destroyed beyond it. */
  maxClients?: number;
  timeouts?: HttpTimeouts;
}

type AwsClient = SQSClient | SNSClient | KinesisClient;

export function createAwsClientCache(options: AwsClientCacheOptions = {}): AwsClientCache {
  const endpoints = options.endpoints ?? {};
  const maxClients = options.maxClients ?? 500;
  const clients = new Map<string, AwsClient>();

  // Sluice retries per delivery with its own backoff (and knows which entries of a batch
  // failed), so the SDK makes one attempt.
  const common = (target: ClientTarget) => ({
    region: target.region,
    credentials: target.credentials.provider,
    requestHandler: createHttpHandler(options.timeouts),
    maxAttempts: 1,
  });

  function remember<T extends AwsClient>(key: string, client: T): T {
    clients.set(key, client);
    while (clients.size > maxClients) {
      const [oldestKey, oldest] = clients.entries().next().value ?? [];
      if (oldestKey === undefined || oldest === undefined) break;
      clients.delete(oldestKey);
      // A send still running on it fails with a connection error, which is transient and retried.
      oldest.destroy();
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

  const keyOf = (service: string, target: ClientTarget) => `${service}|${target.region}|${target.credentials.cacheKey}`;

  return {
    sqs(target) {
      const key = keyOf('sqs', target);
      const cached = lookup(key);
      if (cached instanceof SQSClient) return cached;
      // The endpoint comes from the region (or the override), never from the queue URL's host.
      const client = new SQSClient({ ...common(target), endpoint: endpoints.sqs, useQueueUrlAsEndpoint: false });
      traceAwsCalls(client.middlewareStack, 'SQS', target.region);
      return remember(key, client);
    },
    sns(target) {
      const key = keyOf('sns', target);
      const cached = lookup(key);
      if (cached instanceof SNSClient) return cached;
      const client = new SNSClient({ ...common(target), endpoint: endpoints.sns });
      traceAwsCalls(client.middlewareStack, 'SNS', target.region);
      return remember(key, client);
    },
    kinesis(target) {
      const key = keyOf('kinesis', target);
      const cached = lookup(key);
      if (cached instanceof KinesisClient) return cached;
      const client = new KinesisClient({ ...common(target), endpoint: endpoints.kinesis });
      traceAwsCalls(client.middlewareStack, 'Kinesis', target.region);
      return remember(key, client);
    },
    size: () => clients.size,
    forget(credentials) {
      for (const [key, client] of clients) {
        if (!key.endsWith(`|${credentials.cacheKey}`)) continue;
        clients.delete(key);
        client.destroy();
      }
    },
    destroy() {
      for (const client of clients.values()) client.destroy();
      clients.clear();
    },
  };
}
