import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Partial batch failures for the fault proxy: the chosen entries are taken out of the request
 * before it reaches the emulator, and reported failed in its answer, exactly as AWS reports
 * entries it did not accept (SQS/SNS `Failed[]`, Kinesis per-record and EventBridge per-entry `ErrorCode`).
 */

export interface UpstreamAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface EntryFailure {
  code: string;
  message: string;
  senderFault: boolean;
}

type BatchAction = 'SendMessageBatch' | 'PublishBatch' | 'PutRecords' | 'PutEvents';

// Answers of these list one result per entry in request order; a failed one carries ErrorCode.
const POSITIONAL = {
  PutRecords: { request: 'Records', answer: 'Records', failedCount: 'FailedRecordCount' },
  PutEvents: { request: 'Entries', answer: 'Entries', failedCount: 'FailedEntryCount' },
} as const;

export interface RewrittenBatch {
  action: BatchAction;
  /** The request to forward, holding only the entries that are not failed. */
  body: Buffer;
  allKeys: string[];
  failedKeys: Set<string>;
  forwardedKeys: string[];
}

const asRecord = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...value } : {};
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

const SNS_ENTRY = /^PublishBatchRequestEntries\.member\.(\d+)\.(.+)$/;

export function rewriteBatchRequest(
  action: string,
  body: Buffer,
  select: (keys: string[]) => string[],
): RewrittenBatch | null {
  if (action === 'SendMessageBatch' || action === 'PutRecords' || action === 'PutEvents') {
    const request = asRecord(JSON.parse(body.toString('utf8')));
    const field = action === 'SendMessageBatch' ? 'Entries' : POSITIONAL[action].request;
    const entries = asArray(request[field]);
    const keys = entries.map((entry, index) =>
      action === 'SendMessageBatch' ? String(asRecord(entry).Id) : String(index),
    );
    const failedKeys = new Set(select(keys));
    const kept = entries.filter((_, index) => !failedKeys.has(keys[index] ?? ''));
    return {
      action,
      body: Buffer.from(JSON.stringify({ ...request, [field]: kept })),
      allKeys: keys,
      failedKeys,
      forwardedKeys: keys.filter((key) => !failedKeys.has(key)),
    };
  }
  if (action === 'PublishBatch') {
    const params = new URLSearchParams(body.toString('utf8'));
    const members = new Map<string, Array<[string, string]>>();
    const rest: Array<[string, string]> = [];
    for (const [key, value] of params) {
      const match = SNS_ENTRY.exec(key);
      if (!match) {
        rest.push([key, value]);
        continue;
      }
      const [, index = '', field = ''] = match;
      members.set(index, [...(members.get(index) ?? []), [field, value]]);
    }
    const ordered = [...members.entries()].sort(([a], [b]) => Number(a) - Number(b)).map(([, fields]) => fields);
    const idOf = (fields: Array<[string, string]>) => fields.find(([field]) => field === 'Id')?.[1] ?? '';
    const keys = ordered.map(idOf);
    const failedKeys = new Set(select(keys));
    const forwarded = new URLSearchParams(rest);
    let position = 0;
    for (const fields of ordered) {
      if (failedKeys.has(idOf(fields))) continue;
      position += 1;
      for (const [field, value] of fields)
        forwarded.append(`PublishBatchRequestEntries.member.${position}.${field}`, value);
    }
    return {
      action,
      body: Buffer.from(forwarded.toString()),
      allKeys: keys,
      failedKeys,
      forwardedKeys: keys.filter((key) => !failedKeys.has(key)),
    };
  }
  return null;
}

const xmlEscape = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function jsonAnswer(contentType: string, value: unknown): UpstreamAnswer {
  return { status: 200, headers: { 'content-type': contentType }, body: Buffer.from(JSON.stringify(value)) };
}

/** Merges the injected failures into the emulator's answer (or builds the whole answer when nothing was forwarded). */
export function rewriteBatchResponse(
  batch: RewrittenBatch,
  answer: UpstreamAnswer | null,
  failure: EntryFailure,
): UpstreamAnswer {
  // An error answer for the forwarded part stands for the whole call, as it would on AWS.
  if (answer && answer.status !== 200) return answer;
  const failedKeys = batch.allKeys.filter((key) => batch.failedKeys.has(key));

  if (batch.action === 'SendMessageBatch') {
    const upstream = asRecord(answer ? JSON.parse(answer.body.toString('utf8')) : {});
    const injected = failedKeys.map((Id) => ({
      Id,
      Code: failure.code,
      Message: failure.message,
      SenderFault: failure.senderFault,
    }));
    return jsonAnswer('application/x-amz-json-1.0', {
      ...upstream,
      Successful: asArray(upstream.Successful),
      Failed: [...asArray(upstream.Failed), ...injected],
    });
  }

  if (batch.action === 'PutRecords' || batch.action === 'PutEvents') {
    const shape = POSITIONAL[batch.action];
    const upstream = asRecord(answer ? JSON.parse(answer.body.toString('utf8')) : {});
    const forwardedRecords = asArray(upstream[shape.answer]);
    let next = 0;
    const records = batch.allKeys.map((key) =>
      batch.failedKeys.has(key)
        ? { ErrorCode: failure.code, ErrorMessage: failure.message }
        : (forwardedRecords[next++] ?? {
            ErrorCode: 'InternalFailure',
            ErrorMessage: 'missing from the emulator answer',
          }),
    );
    const failedCount = records.filter((record) => 'ErrorCode' in asRecord(record)).length;
    return jsonAnswer('application/x-amz-json-1.1', {
      ...upstream,
      [shape.failedCount]: failedCount,
      [shape.answer]: records,
    });
  }

  const members = failedKeys
    .map(
      (id) =>
        `<member><Id>${xmlEscape(id)}</Id><Code>${xmlEscape(failure.code)}</Code>` +
        `<Message>${xmlEscape(failure.message)}</Message><SenderFault>${failure.senderFault}</SenderFault></member>`,
    )
    .join('');
  let xml = answer
    ? answer.body.toString('utf8')
    : `<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult>` +
      `<Successful></Successful><Failed></Failed></PublishBatchResult>` +
      `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishBatchResponse>`;
  if (xml.includes('</Failed>')) xml = xml.replace('</Failed>', `${members}</Failed>`);
  else if (xml.includes('<Failed/>')) xml = xml.replace('<Failed/>', `<Failed>${members}</Failed>`);
  else xml = xml.replace('</PublishBatchResult>', `<Failed>${members}</Failed></PublishBatchResult>`);
  return { status: 200, headers: { 'content-type': 'text/xml' }, body: Buffer.from(xml) };
}
