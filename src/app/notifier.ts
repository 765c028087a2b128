/**
 * Build the notifier the configuration asks for: marathon-lb (`--marathon-lb`), the HAProxy runtime
 * API (`haproxySocket`), a command hook (`notifyCommand`); several combine in a FanoutNotifier, none
 * gives a notifier that does nothing and reports ok.
 */
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { Notifier } from '../domain/contracts.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../observe/metrics.js';
import { CommandNotifier } from '../notify/command.js';
import { FanoutNotifier } from '../notify/fanout.js';
import { HaproxyRuntimeNotifier } from '../notify/haproxy-runtime.js';
import { MarathonLbNotifier } from '../notify/marathon-lb.js';
import { NoopNotifier } from '../notify/noop.js';

export function buildNotifier(config: Config, logger: Logger, metrics?: Metrics): Notifier {
  const list: Notifier[] = [];
  if (config.lb.length > 0) list.push(new MarathonLbNotifier({ urls: config.lb, logger, metrics }));
  if (config.haproxySocket) {
    list.push(
      new HaproxyRuntimeNotifier({
        statsSocket: config.haproxySocket,
        certsDir: join(config.storageDir, 'certs'),
        logger,
        metrics,
        haproxyCertsDir: config.haproxyCertsDir,
        fallback: config.haproxyMasterSocket ? { kind: 'master-socket', path: config.haproxyMasterSocket } : undefined,
      }),
    );
  }
  if (config.notifyCommand && config.notifyCommand.length > 0)
    list.push(new CommandNotifier({ argv: config.notifyCommand, logger, metrics }));
  if (list.length === 1) return list[0]!;
  if (list.length === 0) return new NoopNotifier();
  return new FanoutNotifier(list);
}
