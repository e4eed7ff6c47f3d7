import { createAwsRuntime } from '@sluice/aws/aws-runtime';
import { loadConfigOrExit } from '@sluice/config/env';
import { connectConfiguredDatabase } from '@sluice/db/client';
import { createProducerConnection, createWorkerConnection } from '@sluice/jobs/redis';
import { createLogger } from '@sluice/logger/logger';
import { startTracing } from '@sluice/telemetry/tracing';
import { tracingSettings } from '@sluice/telemetry/tracing-settings';
import { startWorkers } from './workers.ts';

const config = loadConfigOrExit();
// Before anything that traces or logs: the logger adds trace ids only when tracing is on.
const tracingConfig = tracingSettings(config, 'sluice-worker');
const tracing = tracingConfig && (await startTracing(tracingConfig, { warn: (message) => logger.warn(message) }));
const logger = createLogger({ level: config.LOG_LEVEL, name: 'worker' });
const database = connectConfiguredDatabase(config, {
  max: 20,
  applicationName: 'sluice-worker',
  onConnectionError: (error) => logger.warn({ err: error }, 'postgres connection lost; the pool reconnects'),
});
const workerRedis = createWorkerConnection(config.REDIS_URL);
const producerRedis = createProducerConnection(config.REDIS_URL, { commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS });
for (const redis of [workerRedis, producerRedis]) {
  redis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
}
const aws = createAwsRuntime(config);

const workers = startWorkers({
  database,
  workerRedis,
  producerRedis,
  aws,
  awsEndpoints: config.awsEndpoints,
  logger,
  drain: { leaseMs: config.DELIVERY_LEASE_SECONDS * 1000 },
  drainSlotsPerTenant: config.DRAIN_SLOTS_PER_TENANT,
  retention: { retentionDays: config.RETENTION_DAYS, auditRetentionDays: config.AUDIT_RETENTION_DAYS },
});
const metricsServer = config.WORKER_METRICS_PORT
  ? workers.metrics.serve(config.HOST, config.WORKER_METRICS_PORT)
  : undefined;
logger.info({ metricsPort: config.WORKER_METRICS_PORT || null }, 'workers started');

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: finishing in-flight batches');
  metricsServer?.close();
  await workers.close();
  aws.destroy();
  await Promise.allSettled([database.close(), workerRedis.quit(), producerRedis.quit(), tracing?.shutdown()]);
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
