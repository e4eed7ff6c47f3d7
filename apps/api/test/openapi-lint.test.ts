import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startTestStack, type TestStack } from '@sluice/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `redocly lint` (recommended ruleset plus the repository's redocly.yaml) on the document the
 * running API serves over HTTP. Offline: telemetry and the update check are turned off.
 */
const repoRoot = resolve(import.meta.dirname, '../../..');
const redocly = join(repoRoot, 'node_modules/.bin/redocly');
const run = promisify(execFile);

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[];
}

async function lint(document: unknown): Promise<LintReport> {
  const file = join(workDir, `openapi-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(document));
  const args = ['lint', file, '--format=json', `--config=${join(repoRoot, 'redocly.yaml')}`];
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
  // Exit code 1 means "errors found": the JSON report on stdout says which.
  const output = await run(redocly, args, { env, maxBuffer: 16 * 1024 * 1024 }).catch((error: { stdout?: string }) => ({
    stdout: error.stdout ?? '',
  }));
  return JSON.parse(output.stdout);
}

type Json = Record<string, unknown>;
const isJson = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
function child(parent: Json, key: string): Json {
  const value = parent[key];
  if (!isJson(value)) throw new Error(`the document has no object at ${key}`);
  return value;
}

let stack: TestStack;
let workDir: string;
let served: Json;
beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'sluice-openapi-'));
  stack = await startTestStack();
  const base = await stack.app.listen({ host: '127.0.0.1', port: 0 });
  const document: unknown = await (await fetch(`${base}/openapi.json`)).json();
  if (!isJson(document)) throw new Error('GET /openapi.json answered no object');
  served = document;
});
afterAll(async () => {
  await stack?.close();
  rmSync(workDir, { recursive: true, force: true });
});

describe('the served OpenAPI document', () => {
  it('passes redocly lint with no errors; the only warnings are known and explained in the README', async () => {
    const report = await lint(served);
    expect(report.problems.filter((problem) => problem.severity === 'error')).toEqual([]);
    const warnings = new Set(report.problems.map((problem) => problem.ruleId));
    // no-ambiguous-paths: /v1/dlq/{id}/replay beside /v1/dlq/replays/{replayId}, both fixed by API.md;
    // operation-4xx-response: /healthz and /readyz have none; info-license: none is granted.
    expect([...warnings].sort()).toEqual(['info-license', 'no-ambiguous-paths', 'operation-4xx-response']);
  });

  it('names the server the caller reached', async () => {
    expect(served.servers).toEqual([
      { url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), description: expect.any(String) },
    ]);
  });

  it('fails the lint for an operation without operationId, a body without example, or a JSON error answer', async () => {
    const broken = structuredClone(served);
    const paths = child(broken, 'paths');
    const send = child(child(paths, '/v1/events'), 'post');
    delete send.operationId;
    send.requestBody = { required: true, content: { 'application/json': { schema: { type: 'object' } } } };
    child(child(paths, '/v1/events'), 'get').operationId = 'list_events';
    const notFound = child(child(child(broken, 'components'), 'responses'), 'NotFound');
    notFound.content = { 'application/json': child(notFound, 'content')['application/problem+json'] };
    const errors = (await lint(broken)).problems.filter((problem) => problem.severity === 'error');
    expect(errors.map((problem) => problem.ruleId).sort()).toEqual([
      'operation-4xx-problem-details-rfc7807',
      'operation-operationId',
      'rule/operation-id-camel-case',
      'rule/request-body-example',
    ]);
  });
});
