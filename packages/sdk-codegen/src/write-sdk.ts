import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { generateSdkFiles } from './generate-sdk.ts';
import { fetchServedDocument } from './served-document.ts';

/** `npm run generate:sdk`: writes packages/sdk's generated files from the document the API serves. */
const sdkRoot = resolve(import.meta.dirname, '../../sdk');

const files = await generateSdkFiles(await fetchServedDocument());
for (const [path, text] of Object.entries(files)) {
  const target = join(sdkRoot, path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, text);
  console.log(`wrote packages/sdk/${path}`);
}
