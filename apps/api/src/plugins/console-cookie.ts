import { parseCookie, stringifySetCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The console's session cookie and the header that guards cookie-authenticated writes against CSRF. */
export const SESSION_COOKIE = 'sluice_console';
export const CSRF_HEADER = 'x-sluice-csrf';

export function sessionCookieOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  return parseCookie(header)[SESSION_COOKIE] || undefined;
}

// Browsers keep Secure cookies only over HTTPS, except on loopback: a console opened at
// http://127.0.0.1 during development still signs in; anywhere else the cookie is Secure.
const loopbackHost = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/;

function cookieOptions(request: FastifyRequest) {
  return {
    httpOnly: true,
    sameSite: 'strict' as const,
    path: '/',
    secure: request.protocol === 'https' || !loopbackHost.test(request.host),
  };
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, maxAgeSeconds: number) {
  reply.header(
    'set-cookie',
    stringifySetCookie({ name: SESSION_COOKIE, value: token, ...cookieOptions(request), maxAge: maxAgeSeconds }),
  );
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply) {
  reply.header(
    'set-cookie',
    stringifySetCookie({ name: SESSION_COOKIE, value: '', ...cookieOptions(request), maxAge: 0 }),
  );
}
