import { type AnyColumn, lt, type SQL } from 'drizzle-orm';
import { isId } from './ids.ts';

/**
 * Cursor pagination over time-ordered ids, newest first. The cursor is the last id of
 * the page, encoded so that clients treat it as opaque; inserts never shift a page.
 */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is not one this API returned');
  }
}

export const encodeCursor = (id: string): string => Buffer.from(id).toString('base64url');

export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!isId(id)) throw new InvalidCursorError();
  return id;
}

/** The condition for rows after the cursor (older than it), or undefined on the first page. */
export const afterCursor = (idColumn: AnyColumn, request: PageRequest): SQL | undefined =>
  request.cursor ? lt(idColumn, decodeCursor(request.cursor)) : undefined;

/** Call with limit + 1 rows fetched: the extra row only says whether there is a next page. */
export function toPage<R extends { id: string }, T>(rows: R[], limit: number, map: (row: R) => T): Page<T> {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { data: page.map(map), nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
}
