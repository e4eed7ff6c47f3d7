import { Option } from '@commander-js/extra-typings';
import type { OperationInput } from '../operation-types.ts';
import type { DlqReplay } from '../types.ts';
import { type CliContext, collect, integer, pageSize, pause, UsageError } from './context.ts';
import type { Program, WithContext } from './main.ts';
import { progressBar, shortTime } from './output.ts';

type Filters = NonNullable<OperationInput<'adminListDlqEntries'>['query']>;
const filterNames = ['destinationId', 'customerExternalId', 'eventType', 'reason', 'from', 'to', 'tenantId'] as const;
const reasons = ['permanent_error', 'retries_exhausted', 'payload_too_large', 'destination_deleted'] as const;

/** `--filter key=value`, repeatable, into the list's filters (the API checks the values). */
function parseFilters(pairs: string[]): Omit<Filters, 'limit' | 'cursor'> {
  const filters: Omit<Filters, 'limit' | 'cursor'> = {};
  for (const pair of pairs) {
    const [key = '', ...rest] = pair.split('=');
    const value = rest.join('=');
    const name = filterNames.find((known) => known === key);
    if (!name || !value)
      throw new UsageError(`--filter ${pair}: use key=value with a key of ${filterNames.join(', ')}.`);
    if (name === 'reason') {
      const reason = reasons.find((known) => known === value);
      if (!reason) throw new UsageError(`--filter reason=${value}: one of ${reasons.join(', ')}.`);
      filters.reason = reason;
    } else filters[name] = value;
  }
  return filters;
}

const collectFilter = (pair: string, previous: string[]) => [...previous, pair];

/** The tenant's own entries, or with --operator (the operator key) any tenant's. */
function dlqMethods(cli: CliContext, operator: boolean | undefined) {
  const s = cli.sluice;
  if (operator) {
    return {
      pages: s.pages.adminListDlqEntries,
      get: s.adminGetDlqEntry,
      replay: s.adminReplayDlqEntry,
      discard: s.adminDiscardDlqEntry,
      start: s.adminStartDlqReplay,
      follow: s.adminGetDlqReplay,
    };
  }
  const tenantOnly = (filters: Filters) => {
    if (filters.tenantId) throw new UsageError('tenantId filters only with --operator.');
    const { tenantId: _tenantId, ...rest } = filters;
    return rest;
  };
  return {
    pages: (input: { query: Filters }) => s.pages.listDlqEntries({ query: tenantOnly(input.query) }),
    get: s.getDlqEntry,
    replay: s.replayDlqEntry,
    discard: s.discardDlqEntry,
    start: (input: { body: Filters }) => s.startDlqReplay({ body: tenantOnly(input.body) }),
    follow: s.getDlqReplay,
  };
}

/** Polls the bulk replay until it is done, drawing its progress (one redrawn line on a terminal). */
async function followReplay(cli: CliContext, follow: (replayId: string) => Promise<DlqReplay>, replayId: string) {
  const tty = cli.io.stderr.isTTY === true;
  let shown = '';
  for (;;) {
    const replay = await follow(replayId);
    const line = `${progressBar(replay.replayed + replay.failed, replay.total)}  ${replay.failed} failed`;
    if (line !== shown) cli.io.stderr.write(tty ? `\r${line}` : `${line}\n`);
    shown = line;
    if (replay.status === 'done' || cli.io.signal.aborted) {
      if (tty) cli.io.stderr.write('\n');
      return replay;
    }
    await pause(250, cli.io.signal);
  }
}

export function registerDlqCommands(program: Program, withContext: WithContext) {
  const dlq = program
    .command('dlq')
    .description('dead letters: deliveries that failed for good')
    .option('--operator', "use the operator key's routes (/v1/admin/dlq): any tenant's entries");

  dlq
    .command('list')
    .description('open entries, newest first')
    .option('--filter <key=value>', `repeatable: ${filterNames.join(', ')}`, collectFilter, [])
    .option('--limit <n>', 'how many to show; 0 for all', integer, 50)
    .action((options, command) =>
      withContext(command, async (cli) => {
        const query = { ...parseFilters(options.filter), limit: pageSize(options.limit) };
        const methods = dlqMethods(cli, command.optsWithGlobals().operator);
        const items = await collect(methods.pages({ query }).items(), options.limit);
        cli.table(items, ['ID', 'DESTINATION', 'EVENT TYPE', 'REASON', 'ATTEMPTS', 'REPLAYS', 'CREATED'], (i) => {
          const e = items[i]!;
          return [e.id, e.destinationId, e.eventType, e.reason, e.attempts, e.replayCount, shortTime(e.createdAt)];
        });
      }),
    );

  dlq
    .command('get')
    .argument('<id>')
    .action((id, _options, command) =>
      withContext(command, async (cli) => {
        const entry = await dlqMethods(cli, command.optsWithGlobals().operator).get({ path: { id } });
        cli.show(entry, () =>
          [
            `${entry.id}: ${entry.reason} (${entry.state}), ${entry.attempts} attempts, replayed ${entry.replayCount} times`,
            `event ${entry.event.id} ${entry.event.eventType} for ${entry.customerExternalId} to ${entry.destinationId}`,
            ...(entry.lastError ? [`last error ${entry.lastError.code}: ${entry.lastError.message}`] : []),
            ...entry.attemptLog.map(
              (a) => `  #${a.n} ${shortTime(a.at)} ${a.outcome}${a.errorCode ? ` ${a.errorCode}` : ''}`,
            ),
          ].join('\n'),
        );
      }),
    );

  dlq
    .command('replay')
    .description('deliver one entry again')
    .argument('<id>')
    .action((id, _options, command) =>
      withContext(command, async (cli) => {
        const answer = await dlqMethods(cli, command.optsWithGlobals().operator).replay({ path: { id } });
        cli.show(answer, () => `replaying ${id}: delivery ${answer.deliveryId}`);
      }),
    );

  dlq
    .command('discard')
    .argument('<id>')
    .action((id, _options, command) =>
      withContext(command, async (cli) => {
        await dlqMethods(cli, command.optsWithGlobals().operator).discard({ path: { id } });
        cli.show({ id, discarded: true }, () => `discarded ${id}`);
      }),
    );

  dlq
    .command('replay-all')
    .description('replay every open entry matching the filters, following the replay to done')
    .option('--filter <key=value>', `repeatable: ${filterNames.join(', ')}`, collectFilter, [])
    .addOption(new Option('--no-wait', 'start the replay and print its id without following it'))
    .action((options, command) =>
      withContext(command, async (cli) => {
        const methods = dlqMethods(cli, command.optsWithGlobals().operator);
        const started = await methods.start({ body: parseFilters(options.filter) });
        if (!options.wait) {
          cli.show(started, () => `replay ${started.replayId} started: ${started.total} entries`);
          return;
        }
        cli.note(`replay ${started.replayId}: ${started.total} entries`);
        const done = await followReplay(cli, (replayId) => methods.follow({ path: { replayId } }), started.replayId);
        if (done.failed > 0 || done.status !== 'done') cli.fail();
        cli.show(done, () => `${done.status}: ${done.replayed} replayed, ${done.failed} failed of ${done.total}`);
      }),
    );
}
