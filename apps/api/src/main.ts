import { createAwsRuntime } from '@sluice/aws/aws-runtime';
import { loadConfigOrExit } from '@sluice/config/env';
import { connectConfiguredDatabase } from '@sluice/db/client';
import { createProducerConnection } from '@sluice/jobs/redis';
import { createLogger } from '@sluice/logger/logger';
import { startTracing } from '@sluice/telemetry/tracing';
import { tracingSettings } from '@sluice/telemetry/tracing-settings';
import { buildApp } from './app.ts';

const config = loadConfigOrExit();
// Before anything that traces or logs: the logger adds trace ids only when tracing is on.
const tracingConfig = tracingSettings(config, 'sluice-api');
const tracing = tracingConfig && (await startTracing(tracingConfig, { warn: (message) => logger.warn(message) }));
const logger = createLogger({ level: config.LOG_LEVEL, name: 'api' });
if (config.usingDevEncryptionKey) {
  logger.warn('ENCRYPTION_KEY is not set: using the public development key. Never do this with real AWS secrets.');
}
if (!config.OPERATOR_API_KEY) logger.warn('OPERATOR_API_KEY is not set: operator routes answer 401.');

const database = connectConfiguredDatabase(config, {
  max: 20,
  applicationName: 'sluice-api',
  onConnectionError: (error) => logger.warn({ err: error }, 'postgres connection lost; the pool reconnects'),
});
const redis = createProducerConnection(config.REDIS_URL, { commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS });
redis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
const aws = createAwsRuntime(config);
const app = await buildApp({ config, aws, database, redis, logger });

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: finishing in-flight requests');
  // close() stops accepting connections and waits for in-flight requests to answer.
  await app.close();
  aws.destroy();
  await Promise.allSettled([database.close(), redis.quit(), tracing?.shutdown()]);
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

await app.listen({ host: config.HOST, port: config.PORT });
