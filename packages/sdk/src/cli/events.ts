import { readFile } from 'node:fs/promises';
import type { EventInput } from '../send-events.ts';
import { type CliIo, collect, integer, pageSize, UsageError } from './context.ts';
import type { Program, WithContext } from './main.ts';
import { shortTime } from './output.ts';

export async function readAll(stream: CliIo['stdin']): Promise<string> {
  let text = '';
  const decoder = new TextDecoder();
  for await (const chunk of stream) text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  return text;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A JSON event, an array of them, `{ "events": [...] }`, or one event per line (NDJSON). */
export function parseEvents(text: string): EventInput[] {
  const trimmed = text.trim();
  if (!trimmed) throw new UsageError('No events: give a file, --data, or JSON on stdin.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    try {
      parsed = trimmed
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line));
    } catch {
      throw new UsageError('The events are not JSON: give an object, an array, or one object per line.');
    }
  }
  const list = Array.isArray(parsed)
    ? parsed
    : isObject(parsed) && Array.isArray(parsed.events)
      ? parsed.events
      : [parsed];
  return list.map((event, index) => {
    const missing = missingFields(event);
    if (missing.length) throw new UsageError(`Event ${index} is not an event: ${missing.join(', ')}.`);
    if (!isEventInput(event)) throw new UsageError(`Event ${index} is not an event.`);
    return event;
  });
}

const stringFields = ['eventType', 'occurredAt', 'source', 'customerExternalId', 'idempotencyKey'] as const;

function missingFields(event: unknown): string[] {
  if (!isObject(event)) return ['not a JSON object'];
  return [
    ...stringFields.filter((field) => typeof event[field] !== 'string').map((field) => `${field} must be a string`),
    ...(isObject(event.payload) ? [] : ['payload must be an object']),
  ];
}

/** The shape only: the API checks formats and limits, and answers per event which are invalid. */
function isEventInput(event: unknown): event is EventInput {
  return missingFields(event).length === 0;
}

export function registerEventCommands(program: Program, withContext: WithContext) {
  const events = program.command('events').description('send and read events');

  events
    .command('send')
    .description('send events from a file, --data or stdin (an object, an array, or one per line), 500 per request')
    .argument('[file]', 'a JSON or NDJSON file; - or nothing reads stdin')
    .option('--data <json>', 'the events as a JSON argument')
    .action((file, options, command) =>
      withContext(command, async (cli) => {
        const text =
          options.data ?? (file && file !== '-' ? await readFile(file, 'utf8') : await readAll(cli.io.stdin));
        const result = await cli.sluice.sendEvents(parseEvents(text), { signal: cli.io.signal });
        if (result.rejected > 0) cli.fail();
        cli.show(result, () =>
          [
            `${result.results.length} events: ${result.accepted} accepted, ${result.duplicates} duplicates, ${result.rejected} rejected (${result.requests} requests)`,
            ...result.results
              .filter((item) => item.status === 'rejected')
              .map(
                (item) =>
                  `  event ${item.index}: ${(item.errors ?? []).map((e) => `${e.path || '(event)'} ${e.message}`).join('; ')}`,
              ),
          ].join('\n'),
        );
      }),
    );

  events
    .command('get')
    .description('an event as stored, with its deliveries')
    .argument('<id>')
    .action((id, _options, command) =>
      withContext(command, async (cli) => {
        const { deliveries, ...event } = await cli.sluice.getEvent({ path: { id } });
        cli.show({ ...event, deliveries }, () =>
          [
            `${event.eventType} ${event.id} for ${event.customerExternalId}, received ${shortTime(event.receivedAt)}`,
            `payload: ${JSON.stringify(event.payload)}`,
            ...deliveries.map((d) => `  delivery ${d.id} to ${d.destinationId}: ${d.status}`),
          ].join('\n'),
        );
      }),
    );

  events
    .command('list')
    .description('events, newest first')
    .option('--customer <customerExternalId>')
    .option('--type <eventType>')
    .option('--idempotency-key <key>')
    .option('--limit <n>', 'how many to show; 0 for all', integer, 50)
    .action((options, command) =>
      withContext(command, async (cli) => {
        const query = {
          customerExternalId: options.customer,
          eventType: options.type,
          idempotencyKey: options.idempotencyKey,
          limit: pageSize(options.limit),
        };
        const items = await collect(cli.sluice.pages.listEvents({ query }).items(), options.limit);
        cli.table(items, ['ID', 'TYPE', 'CUSTOMER', 'RECEIVED'], (i) => {
          const e = items[i]!;
          return [e.id, e.eventType, e.customerExternalId, shortTime(e.receivedAt)];
        });
      }),
    );
}
