import { errorResponses } from '@sluice/contracts/common';
import { consoleSessionSchema, consoleSignInSchema } from '@sluice/contracts/portal';
import { forbidden, unauthorized } from '@sluice/errors/app-error';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZodOpenApi } from 'fastify-zod-openapi';
import { z } from 'zod';
import { CSRF_HEADER, clearSessionCookie, sessionCookieOf, setSessionCookie } from '../../plugins/console-cookie.ts';
import type { Principal } from '../../services/api-key-service.ts';
import { CONSOLE_SESSION_TTL_SECONDS, type ConsoleSessionService } from '../../services/console-session-service.ts';

const tags = ['Console'];
// These routes read the cookie themselves (public access): signed out is an answer here, not an error.
const config = { access: 'public' as const };

function requireCsrfHeader(request: FastifyRequest) {
  if (request.headers[CSRF_HEADER] !== '1') throw forbidden(`Send the ${CSRF_HEADER}: 1 header.`);
}

export function consoleSessionRoutes(deps: {
  sessions: ConsoleSessionService;
  tenantName: (tenantId: string) => Promise<string | null>;
}): FastifyPluginAsyncZodOpenApi {
  const view = async (principal: Principal, expiresAt: Date) => {
    const tenantId = principal.kind === 'tenant' ? principal.tenantId : null;
    return {
      kind: principal.kind === 'operator' ? ('operator' as const) : ('tenant' as const),
      tenantId,
      tenantName: tenantId ? await deps.tenantName(tenantId) : null,
      expiresAt: expiresAt.toISOString(),
    };
  };

  return async (app) => {
    app.post('/v1/console/session', {
      config,
      schema: {
        tags,
        operationId: 'createConsoleSession',
        summary: 'Sign in to the console',
        description:
          `Exchanges the operator key or a tenant admin key for an HttpOnly, SameSite=Strict session cookie ` +
          `valid ${CONSOLE_SESSION_TTL_SECONDS / 60} minutes; the key is not kept by the browser. Requests ` +
          `authenticated by the cookie other than GET (and this one) must send ${CSRF_HEADER}: 1.`,
        security: [],
        body: consoleSignInSchema,
        response: { 201: consoleSessionSchema, ...errorResponses(400, 401, 403) },
      },
      handler: async (request, reply) => {
        requireCsrfHeader(request);
        const session = await deps.sessions.signIn(request.body.key);
        setSessionCookie(request, reply, session.token, CONSOLE_SESSION_TTL_SECONDS);
        return reply.status(201).send(await view(session.principal, session.expiresAt));
      },
    });

    app.get('/v1/console/session', {
      config,
      schema: {
        tags,
        operationId: 'getConsoleSession',
        summary: 'Who the console is signed in as',
        security: [],
        response: { 200: consoleSessionSchema, ...errorResponses(401) },
      },
      handler: async (request, reply) => {
        const token = sessionCookieOf(request);
        const session = token ? await deps.sessions.authenticate(token) : undefined;
        reply.header('cache-control', 'no-store');
        if (!session) throw unauthorized('Not signed in.');
        return view(session.principal, session.expiresAt);
      },
    });

    app.delete('/v1/console/session', {
      config,
      schema: {
        tags,
        operationId: 'deleteConsoleSession',
        summary: 'Sign out of the console',
        security: [],
        response: { 204: z.null(), ...errorResponses(403) },
      },
      handler: async (request, reply) => {
        requireCsrfHeader(request);
        const token = sessionCookieOf(request);
        if (token) await deps.sessions.signOut(token);
        clearSessionCookie(request, reply);
        return reply.status(204).send(null);
      },
    });
  };
}
