import { Option } from '@commander-js/extra-typings';
import type { Delivery } from '../types.ts';
import { collect, integer, pageSize, pause } from './context.ts';
import type { Program, WithContext } from './main.ts';
import { shortTime } from './output.ts';

const lastError = (d: Delivery) => (d.lastError ? `${d.lastError.code}: ${d.lastError.message}` : '');

const tailLine = (d: Delivery) =>
  `${shortTime(new Date().toISOString())}  ${d.status.padEnd(9)}  delivery ${d.id}  event ${d.eventId}  attempts ${d.attempts}${d.lastError ? `  ${lastError(d)}` : ''}`;

export function registerDeliveryCommands(program: Program, withContext: WithContext) {
  const deliveries = program.command('deliveries').description('events on their way to destinations');

  deliveries
    .command('list')
    .description('deliveries, newest first')
    .option('--destination <id>')
    .option('--event <id>')
    .addOption(new Option('--status <status>').choices(['pending', 'delivered', 'dead', 'discarded'] as const))
    .option('--limit <n>', 'how many to show; 0 for all', integer, 50)
    .action((options, command) =>
      withContext(command, async (cli) => {
        const query = {
          destinationId: options.destination,
          eventId: options.event,
          status: options.status,
          limit: pageSize(options.limit),
        };
        const items = await collect(cli.sluice.pages.listDeliveries({ query }).items(), options.limit);
        cli.table(items, ['ID', 'EVENT', 'STATUS', 'ATTEMPTS', 'CREATED', 'LAST ERROR'], (i) => {
          const d = items[i]!;
          return [d.id, d.eventId, d.status, d.attempts, shortTime(d.createdAt), lastError(d)];
        });
      }),
    );

  deliveries
    .command('get')
    .description('a delivery and its attempt log')
    .argument('<id>')
    .action((id, _options, command) =>
      withContext(command, async (cli) => {
        const { attemptLog, ...delivery } = await cli.sluice.getDelivery({ path: { id } });
        cli.show({ ...delivery, attemptLog }, () =>
          [
            `delivery ${delivery.id}: event ${delivery.eventId} to ${delivery.destinationId}`,
            `status ${delivery.status} after ${delivery.attempts} attempts${delivery.deliveredAt ? `, delivered ${shortTime(delivery.deliveredAt)}` : ''}`,
            ...(delivery.lastError ? [`last error ${lastError(delivery)}`] : []),
            ...attemptLog.map(
              (a) =>
                `  #${a.n} ${shortTime(a.at)} ${a.outcome} in ${a.durationMs} ms${a.errorCode ? ` ${a.errorCode}: ${a.errorMessage ?? ''}` : ''}`,
            ),
          ].join('\n'),
        );
      }),
    );

  program
    .command('tail')
    .description("follow a destination's deliveries as they happen, until Ctrl-C")
    .argument('<destinationId>')
    .option('--interval <ms>', 'how often to look', integer, 1000)
    .action((destinationId, options, command) =>
      withContext(command, async (cli) => {
        // Each look reads the newest 200 deliveries and prints those that are new or changed
        // (status, attempts, error): a delivery older than those is no longer followed.
        const seen = new Map<string, string>();
        const look = async (print: boolean) => {
          const page = await cli.sluice.listDeliveries(
            { query: { destinationId, limit: 200 } },
            { signal: cli.io.signal },
          );
          for (const d of [...page.data].reverse()) {
            const state = `${d.status}/${d.attempts}/${d.lastError?.code ?? ''}`;
            if (seen.get(d.id) === state) continue;
            seen.set(d.id, state);
            if (print) cli.io.stdout.write(`${cli.json ? JSON.stringify(d) : tailLine(d)}\n`);
          }
        };
        await look(false);
        cli.note(`following deliveries to ${destinationId} from now on (Ctrl-C to stop)`);
        while (!cli.io.signal.aborted) {
          await pause(options.interval, cli.io.signal);
          if (!cli.io.signal.aborted) await look(true);
        }
      }),
    );
}
