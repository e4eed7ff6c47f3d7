import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from '../plugins/problem-errors.ts';

/**
 * The console (/console) and the customer portal (/portal): static pages built from
 * apps/console by Vite, read into memory at start and served with a strict Content Security
 * Policy. Nothing comes from elsewhere: no CDN, no external fonts, no inline script or style.
 */

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

function csp(frameAncestors: string) {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${frameAncestors}`,
  ].join('; ');
}

function readTree(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(`/${relative(root, path).split('\\').join('/')}`, readFileSync(path));
    }
  };
  try {
    walk(root);
  } catch {
    // Not built: the pages answer 503 saying so.
  }
  return files;
}

export function webAppRoutes(deps: {
  distDir: string;
  /** The origins that may frame a portal session's page (the tenant's portal.frameAncestors). */
  portalFrameAncestors: (sessionId: string) => Promise<string[]>;
}): FastifyPluginAsync {
  const files = readTree(deps.distDir);
  const config = { access: 'public' as const };

  function page(request: FastifyRequest, reply: FastifyReply, name: string, frameAncestors: string) {
    const body = files.get(name);
    if (!body) {
      return sendProblem(request, reply, {
        status: 503,
        code: 'console_not_built',
        title: 'Service Unavailable',
        detail: 'The web console is not built: run `npm run build:console` (npm start does it).',
      });
    }
    if (frameAncestors === "'none'") reply.header('x-frame-options', 'DENY');
    return reply
      .header('content-security-policy', csp(frameAncestors))
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .header('x-content-type-options', 'nosniff')
      .type(contentTypes['.html']!)
      .send(body);
  }

  return async (app) => {
    const consolePage = (request: FastifyRequest, reply: FastifyReply) =>
      page(request, reply, '/console.html', "'none'");
    app.get('/console', { config, schema: { hide: true } }, consolePage);
    app.get('/console/*', { config, schema: { hide: true } }, consolePage);

    app.get<{ Querystring: { session?: string } }>(
      '/portal',
      { config, schema: { hide: true } },
      async (request, reply) => {
        const session = typeof request.query.session === 'string' ? request.query.session : '';
        const origins = session ? await deps.portalFrameAncestors(session) : [];
        return page(request, reply, '/portal.html', origins.length > 0 ? origins.join(' ') : "'none'");
      },
    );

    app.get<{ Params: { '*': string } }>('/assets/*', { config, schema: { hide: true } }, async (request, reply) => {
      const name = `/assets/${request.params['*']}`;
      const body = files.get(name);
      if (!body) {
        return sendProblem(request, reply, {
          status: 404,
          code: 'not_found',
          title: 'Not Found',
          detail: 'No such asset.',
        });
      }
      return reply
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('x-content-type-options', 'nosniff')
        .type(contentTypes[extname(name)] ?? 'application/octet-stream')
        .send(body);
    });
  };
}
