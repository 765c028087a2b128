/**
 * The RFC 2136 provider: adds and deletes one TXT value with a TSIG-signed dynamic UPDATE sent to the
 * zone's primary (`RFC2136_NAMESERVER`), with lego's settings and defaults. The server's answer must be
 * signed with the same key (RFC 8945 §5.3); a TSIG error is reported by name (DNS_BADSIG, DNS_BADKEY,
 * DNS_BADTIME), any other refusal as DNS_UPDATE_REFUSED with the RCODE.
 */
import { messageId } from './lookup.js';
import type { DnsProvider, ProviderTiming, TxtRecord } from './provider.js';
import { DnsError, type DnsServer, exchange, serverText } from './transport.js';
import { parseMessage, RCODE, rcodeName, encodeTxtUpdate, type Message } from './wire.js';
import { signMessage, type TsigKey, verifyResponse } from './tsig.js';

export interface Rfc2136Options {
  readonly nameserver: DnsServer;
  /** Absent: updates are sent unsigned (lego allows it; the server's policy decides). */
  readonly key?: TsigKey;
  readonly timing: ProviderTiming;
  readonly timeoutMs?: number;
  /** Seconds since the epoch (tests). */
  readonly now?: () => number;
}

const TSIG_ERRORS: Readonly<Record<number, 'DNS_BADSIG' | 'DNS_BADKEY' | 'DNS_BADTIME'>> = {
  [RCODE.BADSIG]: 'DNS_BADSIG',
  [RCODE.BADKEY]: 'DNS_BADKEY',
  [RCODE.BADTIME]: 'DNS_BADTIME',
};

export class Rfc2136Provider implements DnsProvider {
  readonly name = 'rfc2136';
  readonly timing: ProviderTiming;

  constructor(private readonly opts: Rfc2136Options) {
    this.timing = opts.timing;
  }

  /** The primary answers SOA questions for its zones: ask it first when finding a zone. */
  get lookupServers(): readonly DnsServer[] {
    return [this.opts.nameserver];
  }

  present(record: TxtRecord, signal: AbortSignal): Promise<void> {
    return this.update(record, 'add', signal);
  }

  cleanUp(record: TxtRecord, signal: AbortSignal): Promise<void> {
    return this.update(record, 'delete', signal);
  }

  private async update(record: TxtRecord, op: 'add' | 'delete', signal: AbortSignal): Promise<void> {
    const unsigned = encodeTxtUpdate(messageId(), record.zone, op, [
      { fqdn: record.fqdn, value: record.value, ttl: this.timing.ttl },
    ]);
    const now = Math.floor(this.opts.now?.() ?? Date.now() / 1000);
    const signed = this.opts.key ? signMessage(unsigned, this.opts.key, now) : { wire: unsigned, mac: undefined };
    const server = this.opts.nameserver;
    const wire = await exchange(server, signed.wire, this.opts.timeoutMs ?? 5000, signal);
    let msg: Message;
    try {
      msg = parseMessage(wire);
    } catch (err) {
      throw new DnsError('DNS_BAD_RESPONSE', 'DNS UPDATE answer does not parse', {
        cause: err,
        details: { server: serverText(server) },
      });
    }
    const details = { server: serverText(server), zone: record.zone, name: record.fqdn, operation: op };
    if (this.opts.key && signed.mac) {
      const verdict = verifyResponse(wire, msg, this.opts.key, signed.mac);
      if (!verdict.ok && verdict.reason === 'tsig-error') {
        const code = TSIG_ERRORS[verdict.error ?? 0] ?? 'DNS_UPDATE_REFUSED';
        throw new DnsError(code, 'DNS server refused the TSIG signature', {
          details: { ...details, rcode: rcodeName(msg.rcode), tsig_error: rcodeName(verdict.error ?? 0) },
        });
      }
      if (!verdict.ok && msg.rcode === RCODE.NOERROR) {
        throw new DnsError('DNS_BAD_RESPONSE', 'DNS UPDATE answer fails its TSIG check', {
          details: { ...details, reason: verdict.reason },
        });
      }
    }
    if (msg.rcode !== RCODE.NOERROR) {
      throw new DnsError('DNS_UPDATE_REFUSED', 'DNS server refused the update', {
        details: { ...details, rcode: rcodeName(msg.rcode) },
      });
    }
  }
}
