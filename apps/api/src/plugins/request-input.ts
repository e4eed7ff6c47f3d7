import { ForbiddenJsonKeyError, parseRequestJson } from '@sluice/contracts/lossless-json';
import { unstorableFieldErrors } from '@sluice/contracts/storable-text';
import { AppError, badRequest } from '@sluice/errors/app-error';
import type { FastifyInstance } from 'fastify';

/**
 * What every request goes through before its route's schema: one JSON parser and one check of
 * every string, so no route can forget either.
 *
 * - JSON bodies keep numbers a double cannot hold exactly (lossless-json.ts) and refuse
 *   prototype-poisoning keys as Fastify's own parser does. An empty body is no body: a POST
 *   that takes none (pause, resume, test, replay, discard) works with or without
 *   `content-type: application/json`, and a route that needs one says the body is required.
 * - Every string of the path, the query and the body (keys too) is refused with a 400 naming
 *   the field when it has a NUL or a lone surrogate: PostgreSQL cannot store the first, and the
 *   second is not Unicode. A route whose body holds items accepted or rejected one by one
 *   (the event batch) sets `config.bodyItemsCheckedAlone` and checks each item itself.
 */

declare module 'fastify' {
  interface FastifyContextConfig {
    bodyItemsCheckedAlone?: boolean;
  }
}

function invalidJson(error: unknown): AppError {
  if (error instanceof ForbiddenJsonKeyError) return new AppError('invalid_json', 400, error.message);
  const reason = error instanceof Error ? error.message : 'it does not parse';
  return new AppError('invalid_json', 400, `The body is not valid JSON: ${reason}`);
}

export function registerRequestInput(app: FastifyInstance) {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, parseRequestJson(text));
    } catch (error) {
      done(invalidJson(error), undefined);
    }
  });

  app.addHook('preValidation', async (request) => {
    const errors = [
      ...unstorableFieldErrors(request.params, 'params'),
      ...unstorableFieldErrors(request.query, 'query'),
      ...(request.routeOptions.config.bodyItemsCheckedAlone ? [] : unstorableFieldErrors(request.body)),
    ];
    if (errors.length === 0) return;
    const count = errors.length === 1 ? '1 problem' : `${errors.length} problems`;
    throw badRequest(`The request has ${count}: text must not contain NUL characters or lone surrogates.`, errors);
  });
}
