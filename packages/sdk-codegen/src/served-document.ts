import { startTestStack } from '@sluice/testing/stack';

/**
 * The OpenAPI document as the API serves it over HTTP: built with the real app (no PostgreSQL
 * or Redis query is made for it), listening on a loopback port for the one request.
 */
export async function fetchServedDocument(): Promise<Record<string, unknown>> {
  const stack = await startTestStack();
  try {
    const base = await stack.app.listen({ host: '127.0.0.1', port: 0 });
    const response = await fetch(`${base}/openapi.json`);
    if (!response.ok) throw new Error(`GET /openapi.json answered ${response.status}`);
    const document: unknown = await response.json();
    if (typeof document !== 'object' || document === null) throw new Error('GET /openapi.json answered no object');
    return { ...document };
  } finally {
    await stack.close();
  }
}
