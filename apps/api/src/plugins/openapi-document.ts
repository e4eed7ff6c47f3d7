import { STATUS_CODES } from 'node:http';
import { type RequestExample, requestExamples } from './openapi-examples.ts';

/**
 * What fastify-zod-openapi cannot say from the routes' zod schemas, added to the generated
 * document once: error answers as application/problem+json with the codes each status carries,
 * shared once in components.responses unless a route adds codes of its own, the answers every
 * route can give (500; 413 and 415 where there is a body), 204s without a
 * body, response descriptions, request body examples, and the tags' descriptions.
 *
 * A route names codes of its own (409 `idempotency_conflict`, ...) in its schema's
 * `x-problem-codes`, which @fastify/swagger copies into the operation; they are read and
 * removed here.
 */

const PROBLEM_REF = '#/components/schemas/Problem';

const problemAnswers: Record<string, { text: string; codes: readonly string[] }> = {
  400: { text: 'The request is invalid: `errors[]` names each field.', codes: ['validation_failed', 'invalid_json'] },
  401: { text: 'No valid API key, portal token or console session.', codes: ['unauthorized'] },
  403: { text: 'The credential may not do this (scope, operator only, CSRF header).', codes: ['forbidden'] },
  404: { text: 'No such resource (or one of another tenant or customer).', codes: ['not_found'] },
  409: { text: 'The request conflicts with the resource’s state.', codes: [] },
  413: { text: 'The request body is over 1 MiB.', codes: ['payload_too_large'] },
  415: { text: 'The request body is not JSON.', codes: ['unsupported_media_type'] },
  422: { text: 'A quota would be exceeded.', codes: ['quota_exceeded'] },
  429: { text: 'Over the rate limit: retry after `Retry-After` seconds.', codes: ['rate_limited'] },
  500: { text: 'An unexpected error: quote the `requestId` when reporting it.', codes: ['internal_error'] },
  503: { text: 'Something Sluice depends on is unavailable: retry later.', codes: [] },
};

export const tagDescriptions: Record<string, string> = {
  Events: 'Send events (one, or batches of up to 500) and read them back with their deliveries.',
  Destinations: 'The AWS queues, topics and streams of a tenant’s customers, and what Sluice needs to reach them.',
  Deliveries: 'One event on its way to one destination: status, attempts and the attempt log.',
  'Dead-letter queue': 'Deliveries that failed for good: inspect, replay (one or in bulk) or discard.',
  Stats: 'Delivered, retried and dead per interval, latency, and the backlog.',
  'Tenants and keys': 'The operator’s view: tenants and their API keys.',
  'Customer portal': 'Customer-scoped sessions for the embeddable portal.',
  Console: 'Cookie sessions of the web console.',
  Operations: 'Liveness and readiness.',
};

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const objectAt = (parent: Json, key: string): Json | undefined => {
  const value = parent[key];
  return isObject(value) ? value : undefined;
};

const problemContent = () => ({ 'application/problem+json': { schema: { $ref: PROBLEM_REF } } });

function isProblemResponse(response: Json): boolean {
  const schema = objectAt(objectAt(objectAt(response, 'content') ?? {}, 'application/json') ?? {}, 'schema');
  return schema?.$ref === PROBLEM_REF;
}

function problemResponse(status: string, routeCodes: readonly string[]): Json {
  const answer = problemAnswers[status] ?? { text: '', codes: [] };
  const codes = [...answer.codes, ...routeCodes].map((code) => `\`${code}\``).join(', ');
  const description = `${STATUS_CODES[status] ?? 'Error'}${codes ? ` (${codes})` : ''}. ${answer.text}`.trim();
  const response: Json = { description, content: problemContent() };
  if (status === '429') {
    response.headers = {
      'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer', minimum: 0 } },
    };
  }
  return response;
}

/** A status's shared answer lives once in components.responses (BadRequest, NotFound, ...). */
const sharedResponseName = (status: string) => (STATUS_CODES[status] ?? `Status${status}`).replace(/[^A-Za-z]/g, '');

function routeProblemCodes(operation: Json): Record<string, readonly string[]> {
  const declared = objectAt(operation, 'x-problem-codes') ?? {};
  delete operation['x-problem-codes'];
  const codes: Record<string, readonly string[]> = {};
  for (const [status, list] of Object.entries(declared)) {
    codes[status] = Array.isArray(list) ? list.filter((code) => typeof code === 'string') : [];
  }
  return codes;
}

function polishResponses(path: string, operation: Json, shared: Json) {
  const responses = objectAt(operation, 'responses');
  if (!responses) return;
  const routeCodes = routeProblemCodes(operation);
  const implied = [
    ...(path.startsWith('/v1/') ? ['500'] : []),
    ...(operation.requestBody ? ['413', '415'] : []),
    ...Object.keys(routeCodes),
  ];
  for (const status of implied) {
    responses[status] ??= { description: '', content: { 'application/json': { schema: { $ref: PROBLEM_REF } } } };
  }
  for (const [status, response] of Object.entries(responses)) {
    if (!isObject(response)) continue;
    if (isProblemResponse(response)) {
      const own = routeCodes[status];
      if (own) {
        responses[status] = problemResponse(status, own);
        continue;
      }
      const name = sharedResponseName(status);
      shared[name] ??= problemResponse(status, []);
      responses[status] = { $ref: `#/components/responses/${name}` };
      continue;
    }
    if (status === '204') delete response.content;
    if (response.description === 'Default Response') response.description = STATUS_CODES[status] ?? 'Answer';
  }
  // Statuses in order (the generated SDK types and the docs read better so).
  operation.responses = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
}

function addRequestExamples(operation: Json, examples: Record<string, RequestExample> | undefined) {
  const media = objectAt(objectAt(objectAt(operation, 'requestBody') ?? {}, 'content') ?? {}, 'application/json');
  if (!media || !examples) return;
  delete media.example;
  media.examples = examples;
}

/** Polishes the document in place (it is generated once and cached by @fastify/swagger). */
export function polishDocument(document: Json): Json {
  const paths = objectAt(document, 'paths') ?? {};
  const components = objectAt(document, 'components') ?? {};
  const shared: Json = {};
  const usedTags = new Set<string>();
  for (const [path, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    for (const operation of Object.values(item)) {
      if (!isObject(operation)) continue;
      polishResponses(path, operation, shared);
      const id = typeof operation.operationId === 'string' ? operation.operationId : '';
      addRequestExamples(operation, requestExamples[id]);
      if (Array.isArray(operation.tags)) {
        for (const tag of operation.tags) if (typeof tag === 'string') usedTags.add(tag);
      }
    }
  }
  document.components = {
    ...components,
    responses: Object.fromEntries(Object.entries(shared).sort(([a], [b]) => a.localeCompare(b))),
  };
  document.tags = [...usedTags].map((name) => ({ name, description: tagDescriptions[name] ?? name }));
  return document;
}
