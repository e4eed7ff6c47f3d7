import { z } from 'zod';

/** Shapes every route shares: ids, timestamps, lists, problem+json. */

export const idSchema = z
  .string()
  .meta({ description: 'Opaque identifier', example: '019a5c1e-7b2f-7c3e-9d41-1f2e3a4b5c6d' });
export const timestampSchema = z
  .string()
  .meta({ description: 'ISO 8601 UTC timestamp', example: '2026-05-26T14:21:08.493Z' });

export const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(200).optional(),
});

export const listResponse = <T extends z.ZodType>(item: T) =>
  z.object({
    data: z.array(item),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'Pass as ?cursor= for the next page; null on the last page' }),
  });

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().meta({ description: 'Stable snake_case error code' }),
    requestId: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

/** Standard error answers for the OpenAPI document of a route. */
export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, problemSchema])) as Record<number, typeof problemSchema>;
