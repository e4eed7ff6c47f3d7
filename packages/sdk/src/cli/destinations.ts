import { readFile } from 'node:fs/promises';
import { Option } from '@commander-js/extra-typings';
import type { Destination, DestinationPreview } from '../types.ts';
import { collect, integer, pageSize, UsageError } from './context.ts';
import { parseEvents, readAll } from './events.ts';
import type { Program, WithContext } from './main.ts';
import { shortTime } from './output.ts';

const target = (d: Destination) => {
  const config = d.config;
  const where = config.queueUrl ?? config.topicArn ?? config.streamArn ?? config.eventBusArn;
  return typeof where === 'string' ? where : '';
};

function previewText(preview: DestinationPreview): string {
  if ('error' in preview) return `the transform failed: ${preview.error.code}: ${preview.error.message}`;
  const ids = [
    preview.messageGroupId && `group ${preview.messageGroupId}`,
    preview.messageDeduplicationId && `deduplication ${preview.messageDeduplicationId}`,
    preview.partitionKey && `partition key ${preview.partitionKey}`,
  ].filter(Boolean);
  return [
    `${preview.bytes} bytes, ${preview.fits ? 'fits' : 'too large: it would be dead-lettered (payload_too_large)'}`,
    ...(ids.length ? [`  ${ids.join(' · ')}`] : []),
    ...Object.entries(preview.attributes).map(([name, value]) => `  ${name}: ${value}`),
    preview.body,
  ].join('\n');
}

const summary = (d: Destination) =>
  [
    `${d.name} (${d.id})`,
    `  ${d.type} ${target(d)}`,
    `  customer ${d.customerExternalId} · ${d.status} · event types ${d.eventTypes?.join(', ') ?? 'all'}`,
    `  auth ${d.auth.mode}${d.auth.mode === 'assume_role' ? ` ${d.auth.roleArn} (ExternalId ${d.auth.externalId})` : ''}`,
    `  created ${shortTime(d.createdAt)}`,
  ].join('\n');

export function registerDestinationCommands(program: Program, withContext: WithContext) {
  const destinations = program.command('destinations').description('the queues, topics and streams events go to');

  destinations
    .command('list')
    .description('destinations, newest first')
    .option('--customer <customerExternalId>')
    .addOption(new Option('--type <type>').choices(['sqs', 'sns', 'kinesis', 'eventbridge'] as const))
    .option('--limit <n>', 'how many to show; 0 for all', integer, 50)
    .action((options, command) =>
      withContext(command, async (cli) => {
        const query = { customerExternalId: options.customer, type: options.type, limit: pageSize(options.limit) };
        const items = await collect(cli.sluice.pages.listDestinations({ query }).items(), options.limit);
        cli.table(items, ['ID', 'NAME', 'TYPE', 'CUSTOMER', 'STATUS'], (i) => {
          const d = items[i]!;
          return [d.id, d.name, d.type, d.customerExternalId, d.status];
        });
      }),
    );

  destinations
    .command('get')
    .argument('<id>')
    .action((id, _options, command) =>
      withContext(command, async (cli) => {
        const destination = await cli.sluice.getDestination({ path: { id } });
        cli.show(destination, () => summary(destination));
      }),
    );

  destinations
    .command('test')
    .description('check the destination end to end and send it one sluice.test message')
    .argument('<id>')
    .action((id, _options, command) =>
      withContext(command, async (cli) => {
        const result = await cli.sluice.testDestination({ path: { id } });
        if (!result.ok) cli.fail();
        cli.show(result, () =>
          [
            `${result.ok ? 'passed' : 'failed'} in ${result.latencyMs} ms`,
            ...result.checks.map((check) => `  ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`),
            ...(result.error ? [`  ${result.error.code}: ${result.error.message}`] : []),
          ].join('\n'),
        );
      }),
    );

  destinations
    .command('preview')
    .description('show what an event would be sent as (after the transform), sending nothing')
    .argument('<id>')
    .argument('[file]', 'a JSON event; - or nothing reads stdin')
    .option('--event-id <eventId>', 'an accepted event of the destination’s customer, instead of a file')
    .action((id, file, options, command) =>
      withContext(command, async (cli) => {
        let body: { eventId: string } | { event: ReturnType<typeof parseEvents>[number] };
        if (options.eventId) body = { eventId: options.eventId };
        else {
          const events = parseEvents(file && file !== '-' ? await readFile(file, 'utf8') : await readAll(cli.io.stdin));
          if (events.length !== 1 || !events[0]) throw new UsageError('Give exactly one event to preview.');
          body = { event: events[0] };
        }
        const preview = await cli.sluice.previewDestination({ path: { id }, body });
        if ('error' in preview) cli.fail();
        cli.show(preview, () => previewText(preview));
      }),
    );

  for (const [name, verb] of [
    ['pause', 'paused'],
    ['resume', 'resumed'],
  ] as const) {
    destinations
      .command(name)
      .description(name === 'pause' ? 'hold deliveries until resumed' : 'send held deliveries, in order')
      .argument('<id>')
      .action((id, _options, command) =>
        withContext(command, async (cli) => {
          const call = name === 'pause' ? cli.sluice.pauseDestination : cli.sluice.resumeDestination;
          const destination = await call({ path: { id } });
          cli.show(destination, () => `${destination.name} (${destination.id}) ${verb}: ${destination.status}`);
        }),
      );
  }
}
