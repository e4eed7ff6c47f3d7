import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateSdkFiles } from '@sluice/sdk-codegen/generate-sdk';
import { fetchServedDocument } from '@sluice/sdk-codegen/served-document';
import { describe, expect, it } from 'vitest';

/**
 * The SDK's generated files must be what the generator makes of the document the API serves
 * now: a route added, renamed or reshaped without `npm run generate:sdk` fails here.
 */
const sdkRoot = resolve(import.meta.dirname, '..');

describe('the generated SDK', () => {
  it('matches the document the API serves (else run `npm run generate:sdk`)', async () => {
    const files = await generateSdkFiles(await fetchServedDocument());
    expect(Object.keys(files).sort()).toEqual([
      'openapi.json',
      'src/generated/openapi.ts',
      'src/generated/operations.ts',
    ]);
    for (const [path, text] of Object.entries(files)) {
      const committed = readFileSync(join(sdkRoot, path), 'utf8');
      expect(
        committed === text,
        `packages/sdk/${path} differs from the served document: run npm run generate:sdk`,
      ).toBe(true);
    }
  });
});
