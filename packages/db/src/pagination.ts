import { type AnyColumn, lt, type SQL } from 'drizzle-orm';

/**
 * Cursor pagination over time-ordered ids, newest first. The cursor is the last id of the
 * page, encoded so that clients treat it as opaque (the request schema decodes it), so
 * inserts never shift a page.
 */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface PageRequest {
  limit: number;
  /** The decoded cursor: rows older than this id. */
  after?: string | undefined;
}

export const encodeCursor = (id: string): string => Buffer.from(id).toString('base64url');

/** The condition for rows after the cursor (older than it), or undefined on the first page. */
export const afterCursor = (idColumn: AnyColumn, request: PageRequest): SQL | undefined =>
  request.after ? lt(idColumn, request.after) : undefined;

/** Call with limit + 1 rows fetched: the extra row only says whether there is a next page. */
export function toPage<R extends { id: string }, T>(rows: R[], limit: number, map: (row: R) => T): Page<T> {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { data: page.map(map), nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
}
