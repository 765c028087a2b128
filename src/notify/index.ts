/** Telling load balancers that certificates changed. */
export { MarathonLbNotifier, type MarathonLbNotifierOptions } from './marathon-lb.js';
export { HaproxyRuntimeNotifier, type HaproxyRuntimeNotifierOptions, type ReloadFallback } from './haproxy-runtime.js';
export { CommandNotifier, type CommandNotifierOptions } from './command.js';
export { FanoutNotifier } from './fanout.js';
export { buildNotifier, NoopNotifier } from './build.js';
export { haproxyCommand } from './haproxy-cli.js';
