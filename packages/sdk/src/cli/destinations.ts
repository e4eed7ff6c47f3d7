import { Option } from '@commander-js/extra-typings';
import type { Destination } from '../types.ts';
import { collect, integer, pageSize } from './context.ts';
import type { Program, WithContext } from './main.ts';
import { shortTime } from './output.ts';

/**
 * `preview` (POST /v1/destinations/{id}/preview) is not in this API's document yet: once it is,
 * `npm run generate:sdk` gives the SDK `previewDestination` and the command belongs here.
 */
const target = (d: Destination) => {
  const config = d.config;
  const where = config.queueUrl ?? config.topicArn ?? config.streamArn;
  return typeof where === 'string' ? where : '';
};

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
    .addOption(new Option('--type <type>').choices(['sqs', 'sns', 'kinesis'] as const))
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
