/**
 * The acme-dns provider (https://github.com/joohoi/acme-dns, its documented API): one account per
 * domain, kept in `ACME_DNS_STORAGE_PATH` in lego's format — a JSON object mapping the domain (without
 * `*.`) to `{ username, password, fulldomain, subdomain, allowfrom }` — so a lego set-up is reused as is.
 *
 * - No account for a domain: `POST <base>/register`, the account is stored (file mode 0600, written
 *   atomically), and `present` fails with DNS_CNAME_REQUIRED naming the CNAME the operator must create
 *   (`_acme-challenge.<domain>. CNAME <fulldomain>.`), as lego does; the next attempt proceeds.
 * - `present`: `POST <base>/update` with `X-Api-User`/`X-Api-Key` and `{ subdomain, txt }`. acme-dns
 *   answers from its database at once and keeps the last two values (a name and its wildcard fit), so
 *   there is nothing to wait for and nothing to clean up (it has no delete).
 * The passwords never reach logs or errors.
 */
import { randomBytes } from 'node:crypto';
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import type { Logger } from '../../lib/logger.js';
import type { DnsProvider, ProviderTiming, TxtRecord } from './provider.js';
import { DnsError } from './transport.js';

export interface AcmeDnsAccount {
  readonly username: string;
  readonly password: string;
  readonly fulldomain: string;
  readonly subdomain: string;
  readonly allowfrom: readonly string[];
}

export interface AcmeDnsOptions {
  readonly apiBase: string;
  readonly storagePath: string;
  readonly timing: ProviderTiming;
  readonly logger?: Logger;
  readonly timeoutMs?: number;
}

function isAccount(v: unknown): v is AcmeDnsAccount {
  const a = v as Record<string, unknown> | null;
  return (
    typeof a === 'object' &&
    a !== null &&
    ['username', 'password', 'fulldomain', 'subdomain'].every((k) => typeof a[k] === 'string' && a[k] !== '')
  );
}

export class AcmeDnsProvider implements DnsProvider {
  readonly name = 'acme-dns';
  readonly timing: ProviderTiming;
  readonly ownsName = true;
  /** Serialises registrations and storage writes. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: AcmeDnsOptions) {
    this.timing = opts.timing;
  }

  async present(record: TxtRecord, signal: AbortSignal): Promise<void> {
    const account = await this.accountFor(record.domain, signal);
    const res = await this.post('/update', { subdomain: account.subdomain, txt: record.value }, signal, {
      'X-Api-User': account.username,
      'X-Api-Key': account.password,
    });
    if (res.status !== 200) throw this.httpError('update', res.status, record.domain);
  }

  /** acme-dns has no delete; its rolling two values replace ours. */
  async cleanUp(_record: TxtRecord, _signal: AbortSignal): Promise<void> {}

  /** The stored account of `domain`, or a fresh registration (stored, then DNS_CNAME_REQUIRED). */
  private accountFor(domain: string, signal: AbortSignal): Promise<AcmeDnsAccount> {
    const next = this.queue.then(async () => {
      const all = await this.readStorage();
      const known = all[domain];
      if (isAccount(known)) return known;
      const res = await this.post('/register', {}, signal);
      if (res.status !== 201 && res.status !== 200) throw this.httpError('register', res.status, domain);
      const account = res.body;
      if (!isAccount(account))
        throw new DnsError('DNS_PROVIDER_FAILED', 'acme-dns /register answered without an account', {
          details: { domain },
        });
      const stored = { ...account, allowfrom: Array.isArray(account.allowfrom) ? account.allowfrom : [] };
      await this.writeStorage({ ...all, [domain]: stored });
      this.opts.logger?.warn(
        { domain, cname: `_acme-challenge.${domain}.`, target: `${account.fulldomain}.` },
        'acme-dns account registered, CNAME required',
      );
      throw new DnsError(
        'DNS_CNAME_REQUIRED',
        `acme-dns account registered for ${domain}: create the record _acme-challenge.${domain}. CNAME ${account.fulldomain}.`,
        { details: { domain, cname: `_acme-challenge.${domain}.`, target: `${account.fulldomain}.` } },
      );
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async readStorage(): Promise<Record<string, unknown>> {
    let text: string;
    try {
      text = await readFile(this.opts.storagePath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new DnsError('DNS_PROVIDER_CONFIG', 'ACME_DNS_STORAGE_PATH cannot be read', {
        cause: err,
        details: { path: this.opts.storagePath },
      });
    }
    try {
      const v = JSON.parse(text) as unknown;
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      /* below */
    }
    throw new DnsError('DNS_PROVIDER_CONFIG', 'ACME_DNS_STORAGE_PATH is not a JSON object of accounts', {
      details: { path: this.opts.storagePath },
    });
  }

  private async writeStorage(all: Record<string, unknown>): Promise<void> {
    const tmp = `${this.opts.storagePath}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, this.opts.storagePath);
  }

  private async post(
    path: string,
    body: unknown,
    signal: AbortSignal,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: unknown }> {
    const url = `${this.opts.apiBase.replace(/\/+$/, '')}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.opts.timeoutMs ?? 10_000)]),
      });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw new DnsError('DNS_UNREACHABLE', 'acme-dns did not answer', { cause: err, details: { url } });
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed };
  }

  private httpError(operation: string, status: number, domain: string): DnsError {
    if (status >= 500)
      return new DnsError('DNS_UNREACHABLE', `acme-dns ${operation} failed with HTTP ${status}`, {
        details: { domain, status },
      });
    return new DnsError('DNS_PROVIDER_FAILED', `acme-dns ${operation} refused with HTTP ${status}`, {
      details: { domain, status },
    });
  }
}
