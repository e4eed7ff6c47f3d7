import { Command, CommanderError, Option } from '@commander-js/extra-typings';
import sdkPackage from '../../package.json' with { type: 'json' };
import { SluiceProblem } from '../problem.ts';
import { type CliContext, type CliIo, createContext, type GlobalOptions, UsageError } from './context.ts';
import { registerDeliveryCommands } from './deliveries.ts';
import { registerDestinationCommands } from './destinations.ts';
import { registerDlqCommands } from './dlq.ts';
import { registerEventCommands } from './events.ts';

/**
 * `sluice`: the Sluice API at a terminal. Exit codes: 0 done; 1 the API refused or failed (a
 * problem is printed), or part of the work failed (rejected events, failed replays, a failed
 * destination test); 2 the command was called wrongly.
 */
export function createProgram(io: CliIo) {
  return new Command('sluice')
    .description('The Sluice API at a terminal: events, destinations, deliveries, dead letters.')
    .version(sdkPackage.version)
    .addOption(new Option('--url <url>', 'the API').env('SLUICE_URL').default('http://127.0.0.1:3000'))
    .addOption(new Option('--api-key <key>', 'an API key (or a portal token)').env('SLUICE_API_KEY'))
    .option('--json', 'print JSON for scripts instead of tables')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
}

export type Program = ReturnType<typeof createProgram>;

/** Runs an action with the client made from the global options; its errors reach runCli. */
export type WithContext = (
  command: { optsWithGlobals(): GlobalOptions },
  action: (cli: CliContext) => Promise<void>,
) => Promise<void>;

function describeError(error: unknown): { text: string; code: number } {
  if (error instanceof UsageError) return { text: `error: ${error.message}`, code: 2 };
  if (error instanceof SluiceProblem) {
    const fields = error.errors.map((field) => `\n  ${field.path || '(body)'}: ${field.message}`).join('');
    const request = error.requestId ? ` (request ${error.requestId})` : '';
    return { text: `error: ${error.status} ${error.code}: ${error.detail}${fields}${request}`, code: 1 };
  }
  if (error instanceof TypeError) {
    return {
      text: `error: cannot reach the API: ${error.message}${error.cause ? ` (${String(error.cause)})` : ''}`,
      code: 1,
    };
  }
  return { text: `error: ${error instanceof Error ? error.message : String(error)}`, code: 1 };
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const exit = { code: 0 };
  const program = createProgram(io);
  const withContext: WithContext = (command, action) => action(createContext(command.optsWithGlobals(), io, exit));
  registerEventCommands(program, withContext);
  registerDestinationCommands(program, withContext);
  registerDeliveryCommands(program, withContext);
  registerDlqCommands(program, withContext);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exit.code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (io.signal.aborted) return exit.code;
    const { text, code } = describeError(error);
    io.stderr.write(`${text}\n`);
    return code;
  }
}
