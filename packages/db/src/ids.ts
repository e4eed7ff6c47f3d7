import { uuidv7 } from 'uuidv7';

/** Time-ordered ids: newest-first lists and their cursors are a primary-key range. */
export const newId = (): string => uuidv7();
