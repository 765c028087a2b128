/** The configuration as logged at start (`starting marathon-acme`): everything but secrets. */
import { redactUrl } from '../lib/urls.js';
import type { Config } from './config.js';

/** Field names are the log's: durations in seconds, URLs without their passwords, EAB without its key. */
export function describeConfig(c: Config): Record<string, unknown> {
  return {
    storage_dir: c.storageDir,
    acme: redactUrl(c.acme),
    email: c.email ?? null,
    marathon: c.marathon.map(redactUrl),
    lb: c.lb.map(redactUrl),
    group: c.group,
    allow_multiple_certs: c.allowMultipleCerts,
    listen: `${c.listen.host ?? ''}:${c.listen.port}`,
    sse_timeout: c.sseTimeoutMs / 1000,
    marathon_timeout: c.marathonTimeoutMs / 1000,
    san: c.san,
    domains: c.domains,
    allowed_domains: c.allowedDomains,
    key_type: c.keyType,
    profile: c.profile ?? null,
    remove_after: c.removeAfterMs / 1000,
    revoke_removed: c.revokeRemoved,
    max_concurrent_orders: c.maxConcurrentOrders,
    order_budget: c.orderBudget,
    eab: c.eab ? { kid: c.eab.kid } : null,
    haproxy_socket: c.haproxySocket ?? null,
    sync_listen: c.syncListen ? `${c.syncListen.host ?? ''}:${c.syncListen.port}` : null,
  };
}
