import { errorResponses, listQuerySchema, listResponse, pathIdSchema } from '@sluice/contracts/common';
import { previewRequestSchema, previewResultSchema } from '@sluice/contracts/destination-preview';
import { destinationSetupSchema } from '@sluice/contracts/destination-setup';
import {
  createDestinationSchema,
  destinationListQuerySchema,
  destinationSchema,
  destinationTestResultSchema,
  updateDestinationSchema,
} from '@sluice/contracts/destinations';
import type { FastifyPluginAsyncZodOpenApi } from 'fastify-zod-openapi';
import { z } from 'zod';
import { scopeOf } from '../../plugins/auth.ts';
import type { DestinationPreviewService } from '../../services/destination-preview-service.ts';
import type { DestinationService } from '../../services/destination-service.ts';

const config = { access: 'customerData' as const };
const tags = ['Destinations'];
const params = z.object({ id: pathIdSchema });

export function destinationRoutes(deps: {
  service: DestinationService;
  previews: DestinationPreviewService;
}): FastifyPluginAsyncZodOpenApi {
  const { service, previews } = deps;
  return async (app) => {
    app.post('/v1/destinations', {
      config,
      schema: {
        tags,
        operationId: 'createDestination',
        summary: 'Create a destination',
        body: createDestinationSchema,
        description: 'A portal token may create destinations only for its own customerExternalId (else 403).',
        response: { 201: destinationSchema, ...errorResponses(400, 401, 403, 422) },
      },
      handler: async (request, reply) => reply.status(201).send(await service.create(scopeOf(request), request.body)),
    });

    app.get('/v1/destinations', {
      config,
      schema: {
        tags,
        operationId: 'listDestinations',
        summary: 'List destinations, newest first',
        querystring: listQuerySchema.extend(destinationListQuerySchema.shape),
        response: { 200: listResponse(destinationSchema), ...errorResponses(400, 401, 403) },
      },
      handler: async (request) => {
        const { limit, cursor, ...filters } = request.query;
        return service.list(scopeOf(request), filters, { limit, after: cursor });
      },
    });

    app.get('/v1/destinations/:id', {
      config,
      schema: {
        tags,
        operationId: 'getDestination',
        summary: 'Get a destination',
        params,
        response: { 200: destinationSchema, ...errorResponses(401, 403, 404) },
      },
      handler: async (request) => service.get(scopeOf(request), request.params.id),
    });

    app.patch('/v1/destinations/:id', {
      config,
      schema: {
        tags,
        operationId: 'updateDestination',
        summary: 'Update a destination',
        params,
        body: updateDestinationSchema,
        response: { 200: destinationSchema, ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => service.update(scopeOf(request), request.params.id, request.body),
    });

    app.delete('/v1/destinations/:id', {
      config,
      schema: {
        tags,
        operationId: 'deleteDestination',
        summary: 'Delete a destination',
        description:
          'Deletes the destination; its pending deliveries go to the dead-letter queue (destination_deleted).',
        params,
        response: { 204: z.null(), ...errorResponses(401, 403, 404) },
      },
      handler: async (request, reply) => {
        await service.remove(scopeOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    });

    app.post('/v1/destinations/:id/test', {
      // Each test spends the service's own STS quota: per tenant, a few a minute.
      config: { ...config, rateLimit: { bucket: 'destinationTests' as const, cost: () => 1 } },
      schema: {
        tags,
        operationId: 'testDestination',
        summary: 'Test a destination with one message',
        description:
          'Assumes the role, checks that it refuses an ExternalId other than this destination’s (else the check ' +
          '`trust_policy` fails with code trust_policy_without_external_id and deliveries are held until a test ' +
          'passes it), reads the queue/topic/stream attributes (its size limit is kept for later deliveries), and ' +
          'sends one message of eventType sluice.test.',
        params,
        response: { 200: destinationTestResultSchema, ...errorResponses(400, 401, 403, 404, 429) },
      },
      handler: async (request) => service.test(scopeOf(request), request.params.id),
    });

    app.get('/v1/destinations/:id/setup', {
      config,
      schema: {
        tags,
        operationId: 'getDestinationSetup',
        summary: "What the customer creates in their AWS account: the role's trust and permissions policies",
        description:
          "The trust policy names Sluice's principal (STS GetCallerIdentity, or SERVICE_PRINCIPAL_ARN) with this " +
          'destination’s ExternalId; the permissions policy allows only the actions Sluice needs on this one ' +
          'resource; the CloudFormation template (YAML) creates the role named in auth.roleArn with both. ' +
          '503 service_identity_unknown when Sluice cannot learn its own principal.',
        params,
        'x-problem-codes': { 503: ['service_identity_unknown'] },
        response: { 200: destinationSetupSchema, ...errorResponses(400, 401, 403, 404, 503) },
      },
      handler: async (request) => service.setup(scopeOf(request), request.params.id),
    });

    app.post('/v1/destinations/:id/preview', {
      config,
      schema: {
        tags,
        operationId: 'previewDestination',
        summary: 'Show what an event would be sent as',
        description:
          "Runs the destination's transform (if any) on the event and encodes it as a delivery would: the body, the " +
          'attributes, the FIFO group and deduplication ids or the partition key, the size and whether it fits. Sends ' +
          'nothing. Give a canonical event (`event`; its id and receivedAt are made up) or the id of an accepted event ' +
          "of the destination's customer (`eventId`). A failing transform answers 200 with `error`.",
        params,
        body: previewRequestSchema,
        response: { 200: previewResultSchema, ...errorResponses(400, 401, 403, 404) },
      },
      handler: async (request) => previews.preview(scopeOf(request), request.params.id, request.body),
    });

    app.post('/v1/destinations/:id/pause', {
      config,
      schema: {
        tags,
        operationId: 'pauseDestination',
        summary: 'Pause a destination',
        description: 'Deliveries wait while it is paused, and are sent in order after resume.',
        params,
        response: { 200: destinationSchema, ...errorResponses(401, 403, 404) },
      },
      handler: async (request) => service.pause(scopeOf(request), request.params.id),
    });

    app.post('/v1/destinations/:id/resume', {
      config,
      schema: {
        tags,
        operationId: 'resumeDestination',
        summary: 'Resume a paused destination',
        params,
        response: { 200: destinationSchema, ...errorResponses(401, 403, 404) },
      },
      handler: async (request) => service.resume(scopeOf(request), request.params.id),
    });
  };
}
