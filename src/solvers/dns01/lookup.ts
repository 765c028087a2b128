/**
 * The DNS questions DNS-01 asks: the zone of a name (SOA), its authoritative nameservers (NS), where an
 * `_acme-challenge` name really lives (CNAME chain), and whether every nameserver serves a TXT value.
 * Adapter over `transport.ts`; servers are tried in order, the first that answers wins.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { DnsError, type DnsServer, exchange, serverText } from './transport.js';
import { encodeQuery, type Message, parseMessage, RCODE, rcodeName, readTargetName, readTxt, TYPE } from './wire.js';

export const QUERY_TIMEOUT_MS = 3000;
const MAX_CNAME_LINKS = 8;

let nextId = (Math.random() * 0xffff) | 0;
/** A fresh message ID (RFC 5452 wants them unpredictable; the socket's random port adds the rest). */
export function messageId(): number {
  nextId = (nextId + 1 + ((Math.random() * 0x3fff) | 0)) & 0xffff;
  return nextId;
}

export interface Answer {
  readonly wire: Buffer;
  readonly msg: Message;
}

/**
 * One question to one server: `DNS_UNREACHABLE` (an outage) when it does not answer or answers SERVFAIL,
 * `DNS_BAD_RESPONSE` for an answer that does not parse or another error RCODE (REFUSED, ...).
 */
export async function ask(
  server: DnsServer,
  name: string,
  type: number,
  opts: { recursion: boolean; timeoutMs?: number; signal?: AbortSignal },
): Promise<Answer> {
  const wire = await exchange(
    server,
    encodeQuery(messageId(), name, type, opts.recursion),
    opts.timeoutMs ?? QUERY_TIMEOUT_MS,
    opts.signal,
  );
  let msg: Message;
  try {
    msg = parseMessage(wire);
  } catch (err) {
    throw new DnsError('DNS_BAD_RESPONSE', 'DNS answer does not parse', {
      cause: err,
      details: { server: serverText(server) },
    });
  }
  // SERVFAIL: the resolver could not reach the zone's servers (or they failed): an outage, not a config error.
  if (msg.rcode === RCODE.SERVFAIL) {
    throw new DnsError('DNS_UNREACHABLE', 'DNS server answered SERVFAIL', {
      details: { server: serverText(server), name, rcode: 'SERVFAIL' },
    });
  }
  if (msg.rcode !== RCODE.NOERROR && msg.rcode !== RCODE.NXDOMAIN) {
    throw new DnsError('DNS_BAD_RESPONSE', 'DNS server answered with an error', {
      details: { server: serverText(server), name, rcode: rcodeName(msg.rcode) },
    });
  }
  return { wire, msg };
}

/** Ask the servers in order; the first one that answers wins (an unreachable one is skipped). */
export async function askAny(
  servers: readonly DnsServer[],
  name: string,
  type: number,
  opts: { recursion: boolean; signal?: AbortSignal },
): Promise<Answer> {
  let last: unknown = new DnsError('DNS_UNREACHABLE', 'no DNS server configured');
  for (const s of servers) {
    try {
      return await ask(s, name, type, opts);
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      last = err;
    }
  }
  throw last;
}

/**
 * The zone `fqdn` lives in, as lego's FindZoneByFqdn: from `fqdn` up, the owner of the SOA record in the
 * answer (the name is a zone apex) or in the authority section (NXDOMAIN/NODATA answers name their
 * zone's SOA); a name that is a CNAME says nothing about its own zone, so its parent is asked next.
 */
export async function findZone(servers: readonly DnsServer[], fqdn: string, signal?: AbortSignal): Promise<string> {
  for (let name = fqdn; name.includes('.'); name = name.slice(name.indexOf('.') + 1)) {
    const { msg } = await askAny(servers, name, TYPE.SOA, { recursion: true, signal });
    if (msg.answers.some((rr) => rr.type === TYPE.CNAME && rr.name === name)) continue;
    const soa = [...msg.answers, ...msg.authority].find((rr) => rr.type === TYPE.SOA);
    if (soa !== undefined) return soa.name;
  }
  throw new DnsError('DNS_ZONE_NOT_FOUND', 'no SOA record found for the name', { details: { name: fqdn } });
}

/**
 * Follow CNAMEs from `fqdn` (no trailing dot) to the name that holds the records, at most 8 links;
 * a loop or a longer chain is `DNS_CNAME_LOOP`. A name without a CNAME is its own target.
 */
export async function followCname(servers: readonly DnsServer[], fqdn: string, signal?: AbortSignal): Promise<string> {
  const seen = new Set<string>([fqdn]);
  let name = fqdn;
  for (let i = 0; i < MAX_CNAME_LINKS; i++) {
    const { wire, msg } = await askAny(servers, name, TYPE.CNAME, { recursion: true, signal });
    const cname = msg.answers.find((rr) => rr.type === TYPE.CNAME && rr.name === name);
    if (cname === undefined) return name;
    name = readTargetName(wire, cname);
    if (seen.has(name)) break;
    seen.add(name);
  }
  throw new DnsError('DNS_CNAME_LOOP', 'the CNAME chain loops or is too long', { details: { name: fqdn } });
}

/** The authoritative nameservers of `zone`, each resolved to its addresses (port 53). */
export async function authoritativeServers(
  servers: readonly DnsServer[],
  zone: string,
  signal?: AbortSignal,
): Promise<DnsServer[]> {
  const { wire, msg } = await askAny(servers, zone, TYPE.NS, { recursion: true, signal });
  const hosts = msg.answers.filter((rr) => rr.type === TYPE.NS).map((rr) => readTargetName(wire, rr));
  const out: DnsServer[] = [];
  for (const host of hosts) {
    try {
      for (const a of await dnsLookup(host, { all: true })) out.push({ host: a.address, port: 53 });
    } catch (err) {
      throw new DnsError('DNS_UNREACHABLE', 'an authoritative nameserver name does not resolve', {
        cause: err,
        details: { zone, nameserver: host },
      });
    }
  }
  if (out.length === 0) throw new DnsError('DNS_ZONE_NOT_FOUND', 'the zone has no NS records', { details: { zone } });
  return out;
}

/** The TXT values `server` serves at `fqdn` (directly, not through a CNAME: the caller followed it). */
export async function txtValues(
  server: DnsServer,
  fqdn: string,
  recursion: boolean,
  signal?: AbortSignal,
): Promise<string[]> {
  const { msg } = await ask(server, fqdn, TYPE.TXT, { recursion, signal });
  return msg.answers.filter((rr) => rr.type === TYPE.TXT && rr.name === fqdn).map(readTxt);
}
