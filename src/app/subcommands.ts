/**
 * The subcommands: `marathon-acme <command> ...`. Without one, argv is the daemon's (0.6.1's command line).
 * A storage directory named like a command must be given as a path (`./token`).
 * Each command gets the arguments after its name and returns the process exit code.
 */
import { runAgentCommand } from '../agent/command.js';
import { runRenewCommand, runStatusCommand } from '../cli/status-command.js';
import { type CommandIo, runTokenCommand } from '../cli/token-command.js';

export type Subcommand = (argv: readonly string[], env: NodeJS.ProcessEnv, io: CommandIo) => Promise<number>;

export const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  token: (argv, _env, io) => runTokenCommand(argv, io),
  agent: (argv, env, io) => runAgentCommand(argv, env, io),
  status: runStatusCommand,
  renew: runRenewCommand,
};

/** The subcommand argv starts with, if any. */
export function subcommandOf(argv: readonly string[]): Subcommand | undefined {
  const first = argv[0];
  return first !== undefined && Object.hasOwn(SUBCOMMANDS, first) ? SUBCOMMANDS[first] : undefined;
}
