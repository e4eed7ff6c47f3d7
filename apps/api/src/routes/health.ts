import { withTimeout } from '@sluice/errors/timeout';
import type { FastifyPluginAsyncZodOpenApi } from 'fastify-zod-openapi';
import { z } from 'zod';

const config = { access: 'public' as const };
// Each check gets this long, all at once: /readyz answers within about 1.5 s even when a
// store hangs (a load balancer's probe must not time out instead).
const CHECK_TIMEOUT_MS = 1_500;
const statusSchema = z.object({ status: z.string(), checks: z.record(z.string(), z.boolean()).optional() });

export function healthRoutes(deps: {
  checks: Record<string, () => Promise<boolean>>;
  metrics: () => Promise<{ contentType: string; body: string }>;
}): FastifyPluginAsyncZodOpenApi {
  return async (app) => {
    app.get(
      '/healthz',
      {
        config,
        schema: {
          tags: ['Operations'],
          operationId: 'getHealth',
          summary: 'Liveness: 200 while the process runs',
          security: [],
          response: { 200: statusSchema },
        },
      },
      async () => ({ status: 'ok' }),
    );

    app.get('/readyz', {
      config,
      schema: {
        tags: ['Operations'],
        operationId: 'getReadiness',
        summary: 'Readiness: 200 when PostgreSQL and Redis answer, else 503',
        security: [],
        response: { 200: statusSchema, 503: statusSchema },
      },
      handler: async (_request, reply) => {
        const names = Object.keys(deps.checks);
        const answers = await Promise.all(
          names.map((name) => withTimeout(deps.checks[name]!(), CHECK_TIMEOUT_MS, name).catch(() => false)),
        );
        const checks = Object.fromEntries(names.map((name, i) => [name, answers[i]!]));
        const ready = answers.every(Boolean);
        return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
      },
    });

    app.get('/metrics', { config, schema: { tags: ['Operations'], hide: true } }, async (_request, reply) => {
      const { contentType, body } = await deps.metrics();
      return reply.type(contentType).send(body);
    });
  };
}
