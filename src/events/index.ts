/**
 * The daemon's lifecycle event bus as the composition root wires it: the log and metrics subscribers
 * attached, and a throwing subscriber reported in the log (it never reaches the reconciler).
 */
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../observe/metrics.js';
import { EventBus } from './bus.js';
import { logSubscriber } from './log-subscriber.js';
import { metricsSubscriber } from './metrics-subscriber.js';

export { EventBus, type Subscriber } from './bus.js';

export function createEventBus(logger: Logger, metrics?: Metrics): EventBus {
  const log = logger.child({ component: 'events' });
  const bus = new EventBus({
    onError: (err, event) => log.error({ err, event: event.type, domain: event.name }, 'event subscriber failed'),
  });
  bus.subscribe(logSubscriber(logger));
  if (metrics) bus.subscribe(metricsSubscriber(metrics));
  return bus;
}
