import { type Authenticators, registerAuth } from '@sluice/api/plugins/auth';
import { registerRateLimits } from '@sluice/api/plugins/rate-limits';
import type { ApiKeyService } from '@sluice/api/services/api-key-service';
import { parseConfig } from '@sluice/config/env';
import { createProducerConnection } from '@sluice/jobs/redis';
import { createLogger } from '@sluice/logger/logger';
import { createLeasedLimiter } from '@sluice/rate-limit/leased-limiter';
import { testRedisUrl } from '@sluice/testing/test-env';
import Fastify from 'fastify';

/**
 * `npx tsx bench/rate-limit-cost.ts`: the CPU the ingest limiter adds to a request, measured in
 * this process with the real Redis (TEST_REDIS_URL). A lease is a tenth of a second of the
 * tenant's rate, so at 1,000 events a second a process asks Redis once per 100 requests; the
 * bucket here is sized the same way (leases of 100) but refills fast enough never to refuse,
 * so the loop measures the admitted path, Redis round trips included. Then the same through
 * Fastify: a bare route with and without the rate-limit hooks (inject, in alternating rounds),
 * which adds the hooks, the tenant's limits lookup and the three headers.
 */
const REQUESTS = 200_000;
const redis = createProducerConnection(testRedisUrl);
const limiter = createLeasedLimiter({
  redis,
  keyPrefix: 'sluice:rate:bench:',
  logger: createLogger({ level: 'silent' }),
});
const limits = { rate: 1_000_000, burst: 100 };
const tenants = Array.from({ length: 50 }, (_, i) => `tenant-${process.pid}-${i}`);

async function run(count: number): Promise<{ cpuMicros: number; wallMs: number; refused: number; leases: number }> {
  let refused = 0;
  const before = process.cpuUsage();
  const started = performance.now();
  const leasesBefore = await redisCalls();
  for (let i = 0; i < count; i++) {
    const taken = limiter.take(tenants[i % tenants.length]!, 1, limits);
    const decision = taken instanceof Promise ? await taken : taken;
    if (!decision.allowed) refused += 1;
  }
  const cpu = process.cpuUsage(before);
  return {
    cpuMicros: cpu.user + cpu.system,
    wallMs: performance.now() - started,
    refused,
    leases: (await redisCalls()) - leasesBefore,
  };
}

/** Script calls the server has run (EVALSHA and EVAL), to show how rarely a request needs Redis. */
async function redisCalls(): Promise<number> {
  const stats = await redis.info('commandstats');
  return [...stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

await new Promise((resolve) => redis.once('ready', resolve));
await run(20_000); // warm-up: JIT, script load, one bucket per tenant
const result = await run(REQUESTS);

/** A bare route behind the real auth hook (a stub key service: no database) and, optionally, the limits. */
async function bareApp(limited: boolean) {
  const app = Fastify();
  const tenantKey: ApiKeyService = {
    authenticate: async () => ({ kind: 'tenant', tenantId: tenants[0]!, keyId: 'k', scopes: ['ingest'] }),
    forgetKeys: () => {},
    isOperatorKeyHash: () => false,
    createKey: async () => {
      throw new Error('not in this bench');
    },
    revokeKey: async () => {},
  };
  // Only bearer API keys reach this route: the session and portal authenticators are never asked.
  const unused = { authenticate: async () => undefined };
  registerAuth(app, {
    apiKeys: tenantKey,
    consoleSessions: unused as unknown as Authenticators['consoleSessions'],
    portal: unused as unknown as Authenticators['portal'],
  });
  const defaults = parseConfig({}).defaultTenantLimits;
  if (limited) {
    registerRateLimits(app, {
      limits: { forTenant: () => ({ ...defaults, ingestPerSecond: 1_000_000, ingestBurst: 100 }) },
      limiters: { ingest: limiter, destinationTests: limiter },
    });
  }
  app.post('/v1/events', {
    config: { access: 'events', rateLimit: { bucket: 'ingest', cost: () => 1 } },
    handler: async (_request, reply) => reply.status(202).send({ ok: true }),
  });
  await app.ready();
  return app;
}

async function injectCpu(app: Awaited<ReturnType<typeof bareApp>>, count: number): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const response = await app.inject({ method: 'POST', url: '/v1/events', headers: { authorization: 'Bearer x' } });
    if (response.statusCode !== 202) throw new Error(`unexpected ${response.statusCode}`);
  }
  const cpu = process.cpuUsage(before);
  return cpu.user + cpu.system;
}

const apps = { bare: await bareApp(false), limited: await bareApp(true) };
// Alternating short rounds, medians: the machine is shared, and a round can be slowed by others.
const ROUND = 5_000;
const ROUNDS = 12;
await injectCpu(apps.bare, ROUND);
await injectCpu(apps.limited, ROUND);
const rounds = { bare: [] as number[], limited: [] as number[], added: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  const bare = (await injectCpu(apps.bare, ROUND)) / ROUND;
  const limited = (await injectCpu(apps.limited, ROUND)) / ROUND;
  rounds.bare.push(bare);
  rounds.limited.push(limited);
  rounds.added.push(limited - bare);
}
const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  return Number(((sorted[(sorted.length - 1) >> 1]! + sorted[sorted.length >> 1]!) / 2).toFixed(2));
};

console.log(
  JSON.stringify(
    {
      limiterAlone: {
        requests: REQUESTS,
        refused: result.refused,
        redisScriptCalls: result.leases,
        cpuMicrosecondsPerRequest: Number((result.cpuMicros / REQUESTS).toFixed(3)),
        wallMicrosecondsPerRequest: Number(((result.wallMs * 1000) / REQUESTS).toFixed(3)),
      },
      throughFastify: {
        requests: ROUND * ROUNDS * 2,
        medianCpuMicrosecondsPerRequestWithout: median(rounds.bare),
        medianCpuMicrosecondsPerRequestWith: median(rounds.limited),
        medianCpuMicrosecondsAdded: median(rounds.added),
      },
    },
    null,
    2,
  ),
);
await Promise.all([apps.bare.close(), apps.limited.close()]);
redis.disconnect();
