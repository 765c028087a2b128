/** The configuration as logged at start (`starting marathon-acme`): everything but secrets. */
import { redactUrl } from '../lib/urls.js';
import type { Config } from './config.js';
import { describeZk } from './zk-url.js';

/** Field names are the log's: durations in seconds, URLs without their passwords, EAB without its key. */
export function describeConfig(c: Config): Record<string, unknown> {
  return {
    storage_dir: c.storageDir,
    acme: redactUrl(c.acme),
    cas: c.cas.map((ca) => redactUrl(ca.url)),
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
    zk: c.zk ? describeZk(c.zk) : null,
    zk_session_timeout: c.zkSessionTimeoutMs / 1000,
    instance_id: c.instanceId,
    dns: c.dns ? describeDns(c.dns) : null,
    sync_listen: c.syncListen ? `${c.syncListen.host ?? ''}:${c.syncListen.port}` : null,
  };
}

/** DNS-01 settings without the TSIG secret. */
function describeDns(d: NonNullable<Config['dns']>): Record<string, unknown> {
  return {
    provider: d.provider,
    zones: d.zones,
    resolvers: d.resolvers ?? null,
    follow_cname: d.followCname,
    ...(d.rfc2136
      ? {
          nameserver: d.rfc2136.nameserver,
          tsig_key: d.rfc2136.tsigKey ?? null,
          tsig_algorithm: d.rfc2136.tsigAlgorithm,
        }
      : {}),
    ...(d.exec ? { exec_path: d.exec.path, exec_mode: d.exec.raw ? 'RAW' : 'default' } : {}),
    ...(d.acmeDns ? { api_base: redactUrl(d.acmeDns.apiBase), storage_path: d.acmeDns.storagePath } : {}),
  };
}
