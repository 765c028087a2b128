/**
 * The ACME account (RFC 8555 §7.3): the account key from the `AccountKeyStore` (created on first use),
 * the lookup or registration of the account at the CA, and key rollover (§7.3.5).
 *
 * Contract: the lookup is shared by every caller of one client and cached; a failed lookup is retried by
 * the next caller, and the client drops the cached account (`forget`) when the CA says it does not exist.
 * The shared lookup takes no caller's signal: it is bounded by the request timeout of each request.
 */
import type { KeyObject } from 'node:crypto';
import { untilAborted } from '../lib/abort.js';
import { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { createAccountKeyPem, parseAccountKey } from './account-key.js';
import type { Directory } from './directory.js';
import { ACME_CODES, AcmeError } from './errors.js';
import { eabJws, publicJwk, signJws } from './jws.js';
import { location } from './shapes.js';
import type { HttpResponse } from './transport.js';

/** Where the account key lives (the store's `client.key`). `write` must be atomic and mode 0600. */
export interface AccountKeyStore {
  read(): Promise<string | null>;
  write(pem: string): Promise<void>;
}

/** An account at the CA: its URL (the `kid` of signed requests) and its key. */
export interface Account {
  url: string;
  key: KeyObject;
}

/** What account handling needs of the client: the directory and its signed POST (badNonce handled). */
export interface AccountCa {
  directory(signal: AbortSignal): Promise<Directory>;
  /** Signed with `jwkKey` as `jwk` when given, else with the current account's `kid`. */
  post(
    url: string,
    payload: unknown,
    o: { operation: string; signal: AbortSignal; jwkKey?: KeyObject },
  ): Promise<HttpResponse>;
}

export interface AccountOptions {
  directoryUrl: string;
  accountKey: AccountKeyStore;
  /** Contact for the account (`mailto:` is added). */
  email?: string;
  /** External Account Binding credentials: `hmacKey` is base64url as the CA hands it out. */
  eab?: { kid: string; hmacKey: string };
  logger: Logger;
}

/** One client's account: looked up or registered once, shared by concurrent callers. */
export class AcmeAccount {
  /** The account, once looked up or registered; dropped when the CA says it does not exist. */
  private cached: Promise<Account> | undefined;

  constructor(
    private readonly opts: AccountOptions,
    private readonly ca: AccountCa,
  ) {}

  /** The shared account lookup. Like the directory, bounded by request timeouts, not by a caller's signal. */
  current(): Promise<Account> {
    if (this.cached) return this.cached;
    const p = this.loadOrRegister(new AbortController().signal);
    this.cached = p;
    p.catch(() => {
      if (this.cached === p) this.cached = undefined;
    }); // a failed lookup is retried next time
    return p;
  }

  /** Drop the cached account `p` (the CA forgot it) so the next `current()` registers again; a no-op if replaced. */
  forget(p: Promise<Account>): void {
    if (this.cached === p) this.cached = undefined;
  }

  private async loadOrRegister(signal: AbortSignal): Promise<Account> {
    const key = await this.loadKey();
    const dir = await this.ca.directory(signal);
    const existing = await this.findAccount(dir, key, signal);
    if (existing) return { url: existing, key };
    return { url: await this.register(dir, key, signal), key };
  }

  private async loadKey(): Promise<KeyObject> {
    const pem = await this.opts.accountKey.read();
    if (pem !== null) return parseAccountKey(pem);
    const fresh = await createAccountKeyPem();
    await this.opts.accountKey.write(fresh);
    this.opts.logger.info({ key_type: 'ec256' }, 'acme account key created');
    return parseAccountKey(fresh);
  }

  /** newAccount with onlyReturnExisting (§7.3.1): the URL, or undefined when the CA does not know the key. */
  private async findAccount(dir: Directory, key: KeyObject, signal: AbortSignal): Promise<string | undefined> {
    try {
      const res = await this.ca.post(
        dir.newAccount,
        { onlyReturnExisting: true },
        { operation: 'findAccount', signal, jwkKey: key },
      );
      return location(res, dir.newAccount, 'newAccount');
    } catch (err) {
      if (err instanceof AcmeError && err.type === 'accountDoesNotExist') return undefined;
      throw err;
    }
  }

  private async register(dir: Directory, key: KeyObject, signal: AbortSignal): Promise<string> {
    const { eab, email } = this.opts;
    if (dir.meta.externalAccountRequired && !eab) {
      throw new AppError(ACME_CODES.eabRequired, 'the CA requires External Account Binding and none is configured', {
        details: { url: this.opts.directoryUrl },
      });
    }
    const payload = {
      termsOfServiceAgreed: true,
      ...(email ? { contact: [`mailto:${email}`] } : {}),
      // The EAB JWS carries no nonce (§7.3.4), so a badNonce retry can send it again.
      ...(eab ? { externalAccountBinding: eabJws(key, eab, dir.newAccount) } : {}),
    };
    const res = await this.ca.post(dir.newAccount, payload, { operation: 'newAccount', signal, jwkKey: key });
    const url = location(res, dir.newAccount, 'newAccount');
    this.opts.logger.info({ operation: 'newAccount', url, status: res.status }, 'acme account registered');
    return url;
  }

  /** `AcmeClient.keyChange` with the new key's PEM: see the contract there. */
  async keyChange(pem: string, signal: AbortSignal): Promise<void> {
    const newKey = parseAccountKey(pem);
    const old = await untilAborted(this.current(), signal);
    await this.rollTo(old, newKey, signal);
    try {
      await this.opts.accountKey.write(pem);
    } catch (writeErr) {
      await this.rollBack(old, newKey, pem, writeErr);
      throw new AppError(
        ACME_CODES.accountKey,
        'new account key could not be stored; the CA was rolled back to the old key',
        { cause: writeErr, details: { url: old.url } },
      );
    }
    this.opts.logger.info({ operation: 'keyChange', url: old.url }, 'acme account key rolled over');
  }

  /**
   * Roll the CA back from `newKey` to `old.key` after the new key could not be stored. If that fails too,
   * throws ACME_ACCOUNT_KEY carrying the new key as the non-enumerable `newKeyPem`.
   */
  private async rollBack(old: Account, newKey: KeyObject, pem: string, writeErr: unknown): Promise<void> {
    try {
      // A recovery step: not cancelled by the caller's signal, bounded by the request timeout.
      await this.rollTo({ url: old.url, key: newKey }, old.key, new AbortController().signal);
    } catch (rollbackErr) {
      this.opts.logger.error(
        { operation: 'keyChange', url: old.url, err: rollbackErr },
        'acme account key rolled over at the CA but not stored, and rollback failed',
      );
      const err = new AppError(
        ACME_CODES.accountKey,
        'account key rollover: the CA now only accepts the new key, storing it failed and rolling back failed; ' +
          'save the new key (error.newKeyPem) as the account key before restarting, or a new account will be registered',
        { cause: writeErr, details: { url: old.url } },
      );
      Object.defineProperty(err, 'newKeyPem', { value: pem, enumerable: false });
      throw err;
    }
  }

  /** keyChange (§7.3.5) from `from` to `to`, signed by `from`; afterwards the client signs with `to`. */
  private async rollTo(from: Account, to: KeyObject, signal: AbortSignal): Promise<void> {
    const dir = await this.ca.directory(signal);
    const inner = signJws(to, { account: from.url, oldKey: publicJwk(from.key) }, { url: dir.keyChange });
    this.cached = Promise.resolve(from);
    await this.ca.post(dir.keyChange, inner, { operation: 'keyChange', signal });
    this.cached = Promise.resolve({ url: from.url, key: to });
  }
}
