/**
 * Build the notifier the configuration asks for (used by main.ts only): marathon-lb (`--marathon-lb`),
 * the HAProxy runtime API (`haproxySocket`), a command hook (`notifyCommand`); several combine in a
 * FanoutNotifier, none gives a notifier that does nothing and reports ok.
 */
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { Change, Notifier } from '../domain/contracts.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../observe/metrics.js';
import { CommandNotifier } from './command.js';
import { FanoutNotifier } from './fanout.js';
import { HaproxyRuntimeNotifier } from './haproxy-runtime.js';
import { MarathonLbNotifier } from './marathon-lb.js';

export function buildNotifier(config: Config, logger: Logger, metrics?: Metrics): Notifier {
  const list: Notifier[] = [];
  if (config.lb.length > 0)
    list.push(new MarathonLbNotifier({ urls: config.lb, logger, ...(metrics ? { metrics } : {}) }));
  if (config.haproxySocket) {
    list.push(
      new HaproxyRuntimeNotifier({
        statsSocket: config.haproxySocket,
        certsDir: join(config.storageDir, 'certs'),
        logger,
        ...(metrics ? { metrics } : {}),
        ...(config.haproxyCertsDir ? { haproxyCertsDir: config.haproxyCertsDir } : {}),
        ...(config.haproxyMasterSocket
          ? { fallback: { kind: 'master-socket' as const, path: config.haproxyMasterSocket } }
          : {}),
      }),
    );
  }
  if (config.notifyCommand && config.notifyCommand.length > 0)
    list.push(new CommandNotifier({ argv: config.notifyCommand, logger, ...(metrics ? { metrics } : {}) }));
  if (list.length === 1) return list[0]!;
  if (list.length === 0) return new NoopNotifier();
  return new FanoutNotifier(list);
}

/** Nobody to tell (no --marathon-lb): every batch is trivially delivered. */
export class NoopNotifier implements Notifier {
  readonly name = 'none';
  async notify(_change: Change, _signal: AbortSignal): Promise<{ readonly ok: boolean; readonly detail?: string }> {
    return { ok: true, detail: 'no notifier configured' };
  }
  async stop(): Promise<void> {}
}
