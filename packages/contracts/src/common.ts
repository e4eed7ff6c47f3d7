import { z } from 'zod';

/** Shapes every route shares: ids, timestamps, lists, problem+json. */

export const idSchema = z
  .string()
  .meta({ description: 'Opaque identifier', example: '019a5c1e-7b2f-7c3e-9d41-1f2e3a4b5c6d' });
export const timestampSchema = z
  .string()
  .meta({ description: 'ISO 8601 UTC timestamp', example: '2026-05-26T14:21:08.493Z' });

const uuidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An id in a query filter: one this API could have returned, or a 400 that says so. */
export const idFilterSchema = z.string().regex(uuidShape, 'is not an id this API returned');

/**
 * An id in a path. One that cannot be ours answers 404 like any unknown id (the error handler
 * turns a path that fails validation into not_found), never revealing whether ids exist.
 */
export const pathIdSchema = idSchema.regex(uuidShape);

/** ?cursor= as the API wrote it (base64url of the last id of the page before); decoded here. */
const cursorSchema = z
  .string()
  .max(200)
  .transform((cursor, ctx) => {
    const id = Buffer.from(cursor, 'base64url').toString();
    if (uuidShape.test(id)) return id;
    ctx.addIssue({ code: 'custom', message: 'is not a cursor this API returned' });
    return z.NEVER;
  });

export const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: cursorSchema.optional().meta({ description: 'nextCursor of the previous page' }),
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
