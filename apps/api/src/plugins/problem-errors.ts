import type { FieldError } from '@sluice/contracts/field-errors';
import { toFieldErrors } from '@sluice/contracts/field-errors';
import { AppError } from '@sluice/errors/app-error';
import { isStoreUnavailable } from '@sluice/errors/unavailable';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RequestValidationError } from 'fastify-zod-openapi';

/**
 * The one place errors become answers: RFC 9457 problem+json with a stable `code`.
 * A 5xx shows only the request id; the details go to the log.
 */

interface Problem {
  status: number;
  code: string;
  title: string;
  detail: string;
  errors?: FieldError[] | undefined;
}

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

// Fastify's own errors, with the code clients can branch on.
const fastifyErrors: Record<string, { status: number; code: string; detail?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', detail: 'The request body is over 1 MiB.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    detail: 'Send JSON with Content-Type: application/json.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json', detail: 'The JSON body is empty.' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'bad_request' },
  FST_ERR_HANDLER_TIMEOUT: {
    status: 503,
    code: 'service_unavailable',
    detail: 'The request did not finish in time; retry shortly (with the same idempotencyKey for events).',
  },
};

function validationProblem(error: FastifyError): Problem {
  const issues = (error.validation ?? [])
    .filter((entry): entry is RequestValidationError => entry instanceof RequestValidationError)
    .map((entry) => entry.params.issue);
  const where = error.validationContext;
  const prefix = where === 'body' ? undefined : where === 'querystring' ? 'query' : where;
  // A problem with the body as a whole (missing, not an object) has no field to name.
  const errors = toFieldErrors(issues, prefix).map((e) => (e.path === '' ? { ...e, path: where ?? 'body' } : e));
  const count = errors.length === 1 ? '1 problem' : `${errors.length} problems`;
  return { status: 400, code: 'validation_failed', title: titles[400]!, detail: `The request has ${count}.`, errors };
}

const unavailable: Problem = {
  status: 503,
  code: 'service_unavailable',
  title: titles[503]!,
  detail: 'A store Sluice depends on is not answering; retry shortly.',
};
// Long enough for a failover or a restart to finish, short enough not to lose a client's work.
const UNAVAILABLE_RETRY_AFTER_SECONDS = 2;

function toProblem(error: FastifyError | AppError | Error): Problem {
  if (error instanceof AppError && error.expose) {
    return {
      status: error.status,
      code: error.code,
      title: titles[error.status] ?? 'Error',
      detail: error.detail,
      errors: error.errors,
    };
  }
  if (isStoreUnavailable(error)) return unavailable;
  const fastifyError = error as FastifyError;
  // A path id that cannot be one of ours names nothing: not found, as any unknown id.
  if (fastifyError.validation && fastifyError.validationContext === 'params') {
    return { status: 404, code: 'not_found', title: titles[404]!, detail: 'No such resource.' };
  }
  if (fastifyError.validation) return validationProblem(fastifyError);
  const known = fastifyError.code ? fastifyErrors[fastifyError.code] : undefined;
  if (known) return { ...known, title: titles[known.status]!, detail: known.detail ?? error.message };
  // secure-json-parse refuses __proto__ and constructor.prototype keys with a plain 400.
  const status = fastifyError.statusCode;
  if (status && status >= 400 && status < 500) {
    const code = error instanceof SyntaxError || /JSON|prototype/i.test(error.message) ? 'invalid_json' : 'bad_request';
    return { status, code, title: titles[status] ?? 'Bad Request', detail: error.message };
  }
  return { status: 500, code: 'internal_error', title: titles[500]!, detail: 'An unexpected error occurred.' };
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: Problem) {
  const detail =
    problem.status >= 500 ? `${problem.detail} Quote request id ${request.id} when reporting it.` : problem.detail;
  return reply
    .status(problem.status)
    .type('application/problem+json')
    .send({
      type: `urn:sluice:problem:${problem.code}`,
      title: problem.title,
      status: problem.status,
      detail,
      code: problem.code,
      requestId: request.id,
      ...(problem.errors ? { errors: problem.errors } : {}),
    });
}

export function registerProblemErrors(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = toProblem(error);
    if (problem.code === 'service_unavailable') {
      request.log.warn({ err: error }, 'request failed: a store is unavailable');
      reply.header('retry-after', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
    } else if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: problem.code, status: problem.status }, 'request refused');
    return sendProblem(request, reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, {
      status: 404,
      code: 'not_found',
      title: titles[404]!,
      detail: `No route ${request.method} ${request.url.split('?')[0]}.`,
    }),
  );
}
