import type { TenantLimits } from '@sluice/config/env';
import { AppError } from '@sluice/errors/app-error';
import type { BucketLimits, LeasedLimiter, RateDecision } from '@sluice/rate-limit/leased-limiter';
import type { FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler, preHandlerHookHandler } from 'fastify';
import type { TenantLimitsService } from '../services/tenant-limits-service.ts';

/**
 * Per-tenant rate limits, declared by a route in `config.rateLimit`: `cost` spends tokens of
 * the tenant's bucket before the handler runs (429 `rate_limited` with Retry-After when they
 * are not there); a route without a cost only shows the bucket in its headers. Answers of
 * such routes carry RateLimit-Limit (the bucket's size), RateLimit-Remaining and
 * RateLimit-Reset (seconds until the bucket is full), errors included, once the caller is known.
 */
export type RateLimitBucket = 'ingest' | 'destinationTests';

export interface RateLimitRule {
  bucket: RateLimitBucket;
  cost?: (request: FastifyRequest) => number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    rateLimit?: RateLimitRule;
  }
}

const bucketLimits: Record<RateLimitBucket, (limits: TenantLimits) => BucketLimits> = {
  ingest: (limits) => ({ rate: limits.ingestPerSecond, burst: limits.ingestBurst }),
  destinationTests: (limits) => ({
    rate: limits.destinationTestsPerMinute / 60,
    burst: limits.destinationTestsPerMinute,
  }),
};

function refusal(rule: RateLimitRule, cost: number, decision: RateDecision, limits: BucketLimits): AppError {
  const retry = `retry in ${decision.retryAfterSeconds} s`;
  if (rule.bucket === 'destinationTests') {
    return new AppError(
      'rate_limited',
      429,
      `This tenant may test destinations ${limits.burst} times a minute; ${retry}.`,
    );
  }
  if (decision.overBurst) {
    return new AppError(
      'rate_limited',
      429,
      `This request has ${cost} events, more than the ${decision.limit} this tenant may send at once: split it.`,
    );
  }
  return new AppError(
    'rate_limited',
    429,
    `This tenant may send ${limits.rate} events per second, in bursts of up to ${limits.burst}; ${retry}.`,
  );
}

/** Shows the bucket; answers the refusal to throw, or undefined when the request may go on. */
function settle(
  reply: FastifyReply,
  rule: RateLimitRule,
  cost: number,
  decision: RateDecision,
  limits: BucketLimits,
): AppError | undefined {
  showBucket(reply, decision);
  if (decision.allowed) return undefined;
  reply.header('retry-after', String(decision.retryAfterSeconds));
  return refusal(rule, cost, decision, limits);
}

function showBucket(reply: FastifyReply, decision: RateDecision) {
  reply.header('ratelimit-limit', String(decision.limit));
  reply.header('ratelimit-remaining', String(decision.remaining));
  reply.header('ratelimit-reset', String(decision.resetSeconds));
}

export function registerRateLimits(
  app: FastifyInstance,
  deps: { limits: Pick<TenantLimitsService, 'forTenant'>; limiters: Record<RateLimitBucket, LeasedLimiter> },
) {
  const tenantOf = (request: FastifyRequest) =>
    request.principal?.kind === 'tenant' ? request.principal.tenantId : undefined;

  // Callback hooks without closures on the common path, added only to the routes that declare a
  // limit: on the ingest path, promises and per-request functions would cost more than the
  // limiter itself (bench/rate-limit-cost.ts measures it).
  function decide(
    request: FastifyRequest,
    reply: FastifyReply,
    rule: RateLimitRule,
    tenantId: string,
    tenant: TenantLimits,
  ) {
    const limits = bucketLimits[rule.bucket](tenant);
    const cost = rule.cost ? rule.cost(request) : 0;
    const decision = deps.limiters[rule.bucket].take(tenantId, cost, limits);
    if (decision instanceof Promise) return decision.then((settled) => settle(reply, rule, cost, settled, limits));
    return settle(reply, rule, cost, decision, limits);
  }

  const spend: preHandlerHookHandler = (request, reply, done) => {
    const rule = request.routeOptions.config.rateLimit;
    const tenantId = tenantOf(request);
    if (!rule?.cost || !tenantId) return done();
    const tenant = deps.limits.forTenant(tenantId);
    const refused =
      tenant instanceof Promise
        ? tenant.then((loaded) => decide(request, reply, rule, tenantId, loaded))
        : decide(request, reply, rule, tenantId, tenant);
    if (refused instanceof Promise) refused.then(done, done);
    else done(refused);
  };

  const show: onSendHookHandler = (request, reply, payload, done) => {
    const rule = request.routeOptions.config.rateLimit;
    const tenantId = tenantOf(request);
    if (!rule || !tenantId || reply.hasHeader('ratelimit-limit')) return done(null, payload);
    // A read, or an answer given before the limit was reached (a validation error, say).
    const tenant = deps.limits.forTenant(tenantId);
    if (!(tenant instanceof Promise)) {
      showBucket(reply, deps.limiters[rule.bucket].peek(tenantId, bucketLimits[rule.bucket](tenant)));
      return done(null, payload);
    }
    tenant.then(
      (loaded) => {
        showBucket(reply, deps.limiters[rule.bucket].peek(tenantId, bucketLimits[rule.bucket](loaded)));
        done(null, payload);
      },
      () => done(null, payload),
    );
  };

  app.addHook('onRoute', (route) => {
    if (!route.config?.rateLimit) return;
    route.preHandler = [...toArray(route.preHandler), spend];
    route.onSend = [...toArray(route.onSend), show];
  });
}

const toArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
