/**
 * Service ports of a Marathon app, as marathon-lb v1.10.3 / marathon-acme 0.6.1 count them
 * (reference/marathon-acme-behaviour.md §4.2; tests §9.8 test_marathon_util.py): the networking mode
 * decides which list of ports is read. `MARATHON_ACME_{n}_DOMAIN` applies to port n < the count.
 *
 * Pure and total: any JSON gives a count or a reason, never a throw.
 */
import { excerpt } from '../../domain/desired.js';
import { has, isObject } from './json.js';

export type NetworkingMode = 'host' | 'container/bridge' | 'container';
export type PortCountResult =
  | { readonly ok: true; readonly mode: NetworkingMode; readonly count: number }
  | { readonly ok: false; readonly reason: string };

type ModeResult = { ok: true; mode: NetworkingMode } | { ok: false; reason: string };

/**
 * The networking mode (§4.2): the last `networks` entry's mode (default `container`); else
 * `container.docker.network` USER → container, BRIDGE → container/bridge; else `container` when a
 * legacy `ipAddress` is set, `host` otherwise.
 */
export function networkingMode(app: Record<string, unknown>): ModeResult {
  const networks = app['networks'];
  if (Array.isArray(networks) && networks.length > 0) {
    const last: unknown = networks[networks.length - 1];
    if (!isObject(last)) return { ok: false, reason: 'networks entry is not an object' };
    const mode = has(last, 'mode') ? last['mode'] : 'container';
    if (mode === 'host' || mode === 'container/bridge' || mode === 'container') return { ok: true, mode };
    return { ok: false, reason: `Unknown Marathon networking mode '${excerpt(mode)}'` };
  }
  if (networks !== undefined && networks !== null && !Array.isArray(networks))
    return { ok: false, reason: 'networks is not a list' };
  const container = app['container'];
  if (isObject(container) && has(container, 'docker')) {
    const docker = container['docker'];
    if (!isObject(docker)) return { ok: false, reason: 'container.docker is not an object' };
    if (docker['network'] === 'USER') return { ok: true, mode: 'container' };
    if (docker['network'] === 'BRIDGE') return { ok: true, mode: 'container/bridge' };
  }
  return { ok: true, mode: has(app, 'ipAddress') ? 'container' : 'host' };
}

type ListResult = { ok: true; list: unknown[] | null } | { ok: false; reason: string };

function listField(o: Record<string, unknown>, key: string, where: string): ListResult {
  if (!has(o, key)) return { ok: true, list: null };
  const v = o[key];
  return Array.isArray(v) ? { ok: true, list: v } : { ok: false, reason: `${where}${key} is not a list` };
}

/** `portDefinitions`, else the legacy `ports`, else null. */
function portDefinitions(app: Record<string, unknown>): ListResult {
  if (has(app, 'portDefinitions')) return listField(app, 'portDefinitions', '');
  return listField(app, 'ports', '');
}

/** `container.portMappings`, else `container.docker.portMappings`, else null. */
function containerPortMappings(app: Record<string, unknown>): ListResult {
  const container = app['container'];
  if (!isObject(container)) return { ok: true, list: null };
  if (has(container, 'portMappings')) return listField(container, 'portMappings', 'container.');
  const docker = container['docker'];
  if (isObject(docker)) return listField(docker, 'portMappings', 'container.docker.');
  return { ok: true, list: null };
}

/** Legacy ip-per-task `ipAddress.discovery.ports`, or null. */
function discoveryPorts(app: Record<string, unknown>): ListResult {
  const ip = app['ipAddress'];
  if (ip === undefined || ip === null) return { ok: true, list: null };
  if (!isObject(ip)) return { ok: false, reason: 'ipAddress is not an object' };
  const discovery = ip['discovery'];
  if (discovery === undefined || discovery === null) return { ok: true, list: null };
  if (!isObject(discovery)) return { ok: false, reason: 'ipAddress.discovery is not an object' };
  return listField(discovery, 'ports', 'ipAddress.discovery.');
}

/**
 * Number of service ports (`get_number_of_app_ports`, §4.2 table). Deviation from 0.6.1 (documented in
 * §4.2 as harmless): a missing ports list counts as 0 instead of crashing the whole sync; an unknown
 * networking mode or a port field of the wrong type is an error for THIS app only.
 */
export function portCount(app: Record<string, unknown>): PortCountResult {
  const m = networkingMode(app);
  if (!m.ok) return m;
  let r: ListResult;
  if (m.mode === 'host') {
    r = portDefinitions(app);
  } else if (m.mode === 'container/bridge') {
    r = portDefinitions(app);
    if (r.ok && r.list === null) r = containerPortMappings(app);
  } else {
    r = discoveryPorts(app);
    if (r.ok && (r.list === null || r.list.length === 0)) r = containerPortMappings(app);
  }
  if (!r.ok) return r;
  return { ok: true, mode: m.mode, count: r.list === null ? 0 : r.list.length };
}
