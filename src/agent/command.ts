/**
 * `marathon-acme agent [options] DIR`: keep DIR in step with a daemon's sync feed (see docs/agent.md).
 * Exit codes: 0 stopped by SIGTERM/SIGINT or --help, 1 cannot start (DIR not writable, --listen busy),
 * 2 usage error.
 */
import type { CommandIo } from '../cli/token-command.js';
import { UsageError } from '../cli/usage-error.js';
import type { Notifier } from '../domain/contracts.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { CommandNotifier } from '../notify/command.js';
import { FanoutNotifier } from '../notify/fanout.js';
import { MarathonLbNotifier } from '../notify/marathon-lb.js';
import { NoopNotifier } from '../notify/noop.js';
import { redactUrl } from '../lib/urls.js';
import { VERSION } from '../version.js';
import { Agent } from './agent.js';
import { SyncClient } from './client.js';
import { AgentHttp } from './http.js';
import { AgentDir } from './local.js';
import { AGENT_USAGE, type AgentOptions, agentHelp, parseAgentArgs } from './options.js';

export async function runAgentCommand(argv: readonly string[], env: NodeJS.ProcessEnv, io: CommandIo): Promise<number> {
  let options: AgentOptions | 'help';
  try {
    options = parseAgentArgs(argv, env, process.stdout.isTTY === true);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`${AGENT_USAGE}\nmarathon-acme agent: error: ${err.message}\n`);
    return 2;
  }
  if (options === 'help') {
    io.out(agentHelp());
    return 0;
  }
  const logger = createLogger({ level: options.logLevel, format: options.logFormat });
  logger.info(
    {
      version: VERSION,
      dir: options.dir,
      servers: options.servers,
      lb: options.lb.map(redactUrl),
      pinned: options.serverFingerprint !== undefined,
      server_ca: options.serverCa !== undefined,
      listen: `${options.listen.host ?? ''}:${options.listen.port}`,
    },
    'starting marathon-acme agent',
  );
  return runAgent(options, logger);
}

/** Run until SIGTERM/SIGINT; resolves with the exit code. */
export async function runAgent(options: AgentOptions, logger: Logger): Promise<number> {
  const dir = new AgentDir(options.dir);
  try {
    const { defaultCreated } = await dir.init();
    if (defaultCreated) logger.info({ file: dir.defaultPemPath }, 'default certificate created');
  } catch (err) {
    logger.fatal({ err, dir: options.dir }, 'cannot prepare the directory');
    return 1;
  }
  const notifier = buildAgentNotifier(options, logger);
  const client = new SyncClient(options.token, { ca: options.serverCa, fingerprint: options.serverFingerprint });
  const agent = new Agent({ servers: options.servers, client, dir, notifier, logger });
  const http = new AgentHttp(agent.status);
  try {
    await http.listen(options.listen.port, options.listen.host);
  } catch (err) {
    logger.fatal({ err, port: options.listen.port }, 'cannot listen');
    return 1;
  }
  const ac = new AbortController();
  const running = agent.run(ac.signal);
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal }, 'stopping marathon-acme agent');
  ac.abort();
  await running;
  await notifier.stop();
  await http.close();
  return 0;
}

function buildAgentNotifier(options: AgentOptions, logger: Logger): Notifier {
  const list: Notifier[] = [];
  if (options.lb.length > 0) list.push(new MarathonLbNotifier({ urls: options.lb, logger }));
  if (options.notifyCommand) list.push(new CommandNotifier({ argv: options.notifyCommand, logger }));
  if (list.length === 0) return new NoopNotifier();
  return list.length === 1 ? list[0]! : new FanoutNotifier(list);
}
