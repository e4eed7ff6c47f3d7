import { fileURLToPath } from 'node:url';

/** Where `npm run build:console` writes the console and portal pages, served by the API. */
export const consoleDistDir = fileURLToPath(new URL('./dist', import.meta.url));
export const consoleRoot = fileURLToPath(new URL('.', import.meta.url));
