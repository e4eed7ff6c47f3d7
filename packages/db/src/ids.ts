import { uuidv7 } from 'uuidv7';

/** Time-ordered ids: newest-first lists and their cursors are a primary-key range. */
export const newId = (): string => uuidv7();

const uuidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are opaque to clients: one that is not even our shape simply matches nothing. */
export const isId = (value: string): boolean => uuidShape.test(value);
