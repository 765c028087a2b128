/** src/acme/account.ts against a fake CA: the shared lookup, registration, and key rollover's recovery. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { AcmeAccount, type AccountCa } from '../../../src/acme/account.js';
import { createAccountKeyPem } from '../../../src/acme/account-key.js';
import type { Directory } from '../../../src/acme/directory.js';
import { problemFromResponse } from '../../../src/acme/errors.js';
import type { HttpResponse } from '../../../src/acme/transport.js';
import { AppError } from '../../../src/lib/errors.js';
import { silentLogger } from '../../../src/lib/logger.js';

const DIR: Directory = {
  newNonce: 'https://ca/nonce',
  newAccount: 'https://ca/new-account',
  newOrder: 'https://ca/new-order',
  revokeCert: 'https://ca/revoke',
  keyChange: 'https://ca/key-change',
  meta: { profiles: {}, externalAccountRequired: false, renewalInfo: false },
};

const created = (location: string): HttpResponse =>
  ({ status: 201, header: (n: string) => (n === 'location' ? location : undefined) }) as unknown as HttpResponse;
const problem = (type: string) =>
  problemFromResponse({ type: `urn:ietf:params:acme:error:${type}`, detail: type }, { status: 400, url: 'u' });

interface Call {
  url: string;
  operation: string;
  payload: unknown;
  jwkKey?: KeyObject;
}

/** A CA whose answers `answer` decides (default: the key has no account, registering succeeds); records every POST. */
class FakeCa implements AccountCa {
  calls: Call[] = [];
  directories = 0;
  dir: Directory = DIR;
  answer: (c: Call) => Promise<HttpResponse> = async (c) =>
    c.operation === 'findAccount' ? Promise.reject(problem('accountDoesNotExist')) : created('https://ca/acct/1');
  async directory(): Promise<Directory> {
    this.directories++;
    return this.dir;
  }
  async post(
    url: string,
    payload: unknown,
    o: { operation: string; signal: AbortSignal; jwkKey?: KeyObject },
  ): Promise<HttpResponse> {
    const call = { url, payload, operation: o.operation, jwkKey: o.jwkKey };
    this.calls.push(call);
    return this.answer(call);
  }
}

function memoryKeys(pem: string | null = null, failWrite = false) {
  const store = {
    pem,
    writes: 0,
    read: async () => store.pem,
    write: async (p: string) => {
      store.writes++;
      if (failWrite) throw new Error('disk full');
      store.pem = p;
    },
  };
  return store;
}

const signal = () => AbortSignal.timeout(5000);

describe('account lookup', () => {
  it('creates the key once and registers once for concurrent callers', async () => {
    const ca = new FakeCa();
    const keys = memoryKeys();
    const account = new AcmeAccount({ directoryUrl: 'd', accountKey: keys, logger: silentLogger() }, ca);
    const [a, b] = await Promise.all([account.current(), account.current()]);
    assert.equal(a, b);
    assert.equal(a.url, 'https://ca/acct/1');
    assert.equal(keys.writes, 1);
    assert.deepEqual(
      ca.calls.map((c) => c.operation),
      ['findAccount', 'newAccount'],
    );
  });

  it('finds an existing account without registering', async () => {
    const ca = new FakeCa();
    ca.answer = async () => created('https://ca/acct/old');
    const account = new AcmeAccount(
      { directoryUrl: 'd', accountKey: memoryKeys(await createAccountKeyPem()), logger: silentLogger() },
      ca,
    );
    assert.equal((await account.current()).url, 'https://ca/acct/old');
    assert.deepEqual(
      ca.calls.map((c) => c.operation),
      ['findAccount'],
    );
  });

  it('sends the contact and agrees to the terms', async () => {
    const ca = new FakeCa();
    const account = new AcmeAccount(
      { directoryUrl: 'd', accountKey: memoryKeys(), email: 'ops@example.com', logger: silentLogger() },
      ca,
    );
    await account.current();
    assert.deepEqual(ca.calls[1]!.payload, { termsOfServiceAgreed: true, contact: ['mailto:ops@example.com'] });
  });

  it('retries a failed lookup on the next call', async () => {
    const ca = new FakeCa();
    const answer = ca.answer;
    ca.answer = async () => Promise.reject(problem('serverInternal'));
    const account = new AcmeAccount({ directoryUrl: 'd', accountKey: memoryKeys(), logger: silentLogger() }, ca);
    await assert.rejects(account.current());
    ca.answer = answer;
    assert.equal((await account.current()).url, 'https://ca/acct/1');
  });

  it('looks up again after forget, and ignores forget of a replaced lookup', async () => {
    const ca = new FakeCa();
    const account = new AcmeAccount({ directoryUrl: 'd', accountKey: memoryKeys(), logger: silentLogger() }, ca);
    const first = account.current();
    await first;
    account.forget(Promise.resolve(await first));
    assert.equal(account.current(), first, 'another promise: no-op');
    account.forget(first);
    assert.notEqual(account.current(), first);
  });

  it('refuses to register without EAB when the CA requires it', async () => {
    const ca = new FakeCa();
    ca.dir = { ...DIR, meta: { ...DIR.meta, externalAccountRequired: true } };
    const account = new AcmeAccount({ directoryUrl: 'd', accountKey: memoryKeys(), logger: silentLogger() }, ca);
    await assert.rejects(account.current(), (e: unknown) => e instanceof AppError && e.code === 'ACME_EAB_REQUIRED');
    assert.equal(ca.calls.filter((c) => c.operation === 'newAccount').length, 0);
  });
});

describe('key rollover', () => {
  it('rolls the CA back when the new key cannot be stored', async () => {
    const ca = new FakeCa();
    const keys = memoryKeys(await createAccountKeyPem(), true);
    const account = new AcmeAccount({ directoryUrl: 'd', accountKey: keys, logger: silentLogger() }, ca);
    const old = await account.current();
    await assert.rejects(
      account.keyChange(await createAccountKeyPem(), signal()),
      (e: unknown) => e instanceof AppError && e.code === 'ACME_ACCOUNT_KEY' && /rolled back/.test(e.message),
    );
    assert.equal(ca.calls.filter((c) => c.operation === 'keyChange').length, 2, 'keyChange, then its reverse');
    assert.equal((await account.current()).key, old.key, 'signs with the old key again');
  });

  it('hands the new key over on the error when the rollback fails too', async () => {
    const ca = new FakeCa();
    const keys = memoryKeys(await createAccountKeyPem(), true);
    const account = new AcmeAccount({ directoryUrl: 'd', accountKey: keys, logger: silentLogger() }, ca);
    await account.current();
    let keyChanges = 0;
    const answer = ca.answer;
    ca.answer = async (c) =>
      c.operation === 'keyChange' && ++keyChanges === 2 ? Promise.reject(problem('serverInternal')) : answer(c);
    const pem = await createAccountKeyPem();
    await assert.rejects(account.keyChange(pem, signal()), (e: unknown) => {
      assert.ok(e instanceof AppError && e.code === 'ACME_ACCOUNT_KEY');
      assert.equal((e as unknown as { newKeyPem: string }).newKeyPem, pem);
      assert.equal(Object.keys(e).includes('newKeyPem'), false, 'not enumerable: loggers do not print it');
      return true;
    });
  });
});
