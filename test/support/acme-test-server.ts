/**
 * A small ACME server that follows RFC 8555 for the parts our client uses, plus what Debian's Pebble 2.4
 * lacks: ARI (RFC 9773 renewalInfo with a suggested window and Retry-After), profiles
 * (draft-ietf-acme-profiles: `meta.profiles`, `profile` in newOrder), `Retry-After` on rate limits and
 * 5xx (in both forms), alternate chains (also Let's Encrypt's longer Gen Y ones), and strict nonce
 * bookkeeping (a re-sent nonce is recorded as a client bug); and the 2026 pitfalls of
 * landscape-2026-12 §1: 409 `alreadyReplaced`, the account pause, challenge types a client does not
 * know (dns-persist-01 has no `token`).
 *
 * It verifies every JWS (ES256/ES384/RS256, `jwk` for newAccount, `kid` otherwise), the `url` header and
 * the nonce. Challenges are accepted without contacting anybody (validation is Pebble's job in other tests).
 * HTTPS on 127.0.0.1 with a throw-away CA: trust `caPem`.
 */
import 'reflect-metadata';
import { createHash, createPublicKey, randomBytes, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as x509 from '@peculiar/x509';
import { classicHierarchy, ecSign, genYHierarchy } from './acme-test-chains.js';
import { makeTestTls } from './test-ca.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';

export interface TestServerOptions {
  /** `meta.profiles` (name → description); omitted = no profiles. */
  profiles?: Record<string, string>;
  /** Offer ARI (`renewalInfo` in the directory). Default true. */
  ari?: boolean;
  /** Issue under Let's Encrypt's Gen Y hierarchy (acme-test-chains.ts) instead of the classic one. */
  genY?: boolean | 'short-default';
}

/** Mutable behaviour, changeable between requests by the test. */
export interface TestServerBehaviour {
  /** Answer newOrder with 429 rateLimited and this Retry-After (seconds). */
  rateLimitSeconds?: number;
  /** Answer newOrder with this 5xx status (and Retry-After: 7). */
  newOrderStatus?: number;
  /** Reject the first attempt of every POST with badNonce (a fresh nonce rides on the error). */
  rejectFirstNonce?: boolean;
  /** Reject the first N attempts of every POST with badNonce (overrides `rejectFirstNonce`). */
  rejectNonces?: number;
  /** Polls of a responded authorization that still answer `pending`, with this Retry-After (s). */
  pendingPolls?: { count: number; retryAfterSeconds: number };
  /** Answer newOrder with a relative Location, or with an order lacking its finalize URL. */
  brokenNewOrder?: 'relative-location' | 'no-finalize';
  /** Serve the alternate chain broken: `truncated` PEM, or a 500 `problem`. */
  brokenAlternate?: 'truncated' | 'problem';
  /** Hold the answer to a challenge response (POST to the challenge URL) for this many ms. */
  challengeDelayMs?: number;
  /** renewalInfo answer. */
  ari?: { start: Date; end: Date; explanationURL?: string; retryAfterSeconds?: number };
  /** Send Retry-After (rate limits, 5xx) as an HTTP-date instead of seconds, with no time in the detail. */
  retryAfterHttpDate?: boolean;
  /** Answer a newOrder carrying `replaces` with 409 `alreadyReplaced` (RFC 9773 §5). */
  alreadyReplaced?: boolean;
  /** Answer newOrder for any of these names with Let's Encrypt's pause (429 `rateLimited`). */
  paused?: string[];
  /** Offer, before http-01, a dns-persist-01 challenge (no token), an unknown type and junk entries. */
  extraChallenges?: boolean;
  /** The http-01 token to hand out instead of a random one (e.g. a malicious `../x`). */
  httpToken?: string;
}

interface Account {
  id: string;
  key: KeyObject;
  url: string;
}
interface Order {
  id: string;
  account: string;
  status: string;
  names: string[];
  profile?: string;
  replaces?: string;
  authzs: string[];
  certId?: string;
  expires: string;
}
interface Authz {
  id: string;
  name: string;
  status: string;
  token: string;
  polls: number;
  responded: boolean;
}

export interface AcmeTestServer {
  directoryUrl: string;
  caPem: string;
  behaviour: TestServerBehaviour;
  /** Every request as `METHOD path` with its JWS payload, in arrival order. */
  log: { method: string; path: string; payload?: unknown; userAgent?: string }[];
  /** Nonces a client sent more than once (must stay empty). */
  reusedNonces: string[];
  badNoncesSent: number;
  /** Retries after an injected badNonce that used exactly the nonce carried by that error (RFC 8555 §6.5). */
  retriesWithCarriedNonce: number;
  /** certID (computed by the server, independently of the client) of each issued certificate by serial hex. */
  certIds: Map<string, string>;
  /** Issuer CNs of the default and the (first) alternate chain's top certificates. */
  chains: { defaultTop: string; alternateTop: string };
  /** Issuer CN of every chain's top certificate: [0] the default, then the alternates. */
  tops: string[];
  /** newOrder payloads, in order (to see `replaces`). */
  newOrders: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

const ALG: Record<string, { hash: string; p1363: boolean }> = {
  ES256: { hash: 'sha256', p1363: true },
  ES384: { hash: 'sha384', p1363: true },
  RS256: { hash: 'sha256', p1363: false },
};
export async function startAcmeTestServer(options: TestServerOptions = {}): Promise<AcmeTestServer> {
  const dir = makeTempDir('acme-test-server-');
  const tls = makeTestTls(dir);
  const hierarchy = options.genY
    ? await genYHierarchy(options.genY === 'short-default' ? 'short-default' : 'long-default')
    : await classicHierarchy();
  const inter = hierarchy.issuing;
  const interSki = Buffer.from(inter.cert.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId, 'hex');

  const nonces = new Set<string>();
  const usedNonces = new Set<string>();
  const accounts = new Map<string, Account>();
  const orders = new Map<string, Order>();
  const authzs = new Map<string, Authz>();
  const certs = new Map<string, string>();
  const attempts = new Map<string, number>();
  const pendingRetryNonce = new Map<string, string>();
  const state: AcmeTestServer = {
    directoryUrl: '',
    caPem: tls.caPem,
    behaviour: {},
    log: [],
    reusedNonces: [],
    badNoncesSent: 0,
    retriesWithCarriedNonce: 0,
    certIds: new Map(),
    chains: { defaultTop: hierarchy.tops[0]!, alternateTop: hierarchy.tops[1]! },
    tops: hierarchy.tops,
    newOrders: [],
    close: async () => undefined,
  };
  let base = '';

  const newNonce = (): string => {
    const n = randomBytes(16).toString('base64url');
    nonces.add(n);
    return n;
  };
  const send = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string | string[]> = {},
  ): void => {
    const isText = typeof body === 'string';
    res.writeHead(status, {
      'replay-nonce': newNonce(),
      'content-type':
        status >= 400 ? 'application/problem+json' : isText ? 'application/pem-certificate-chain' : 'application/json',
      link: `<${base}/directory>;rel="index"`,
      ...headers,
    });
    res.end(isText ? body : JSON.stringify(body));
  };
  const problem = (
    res: ServerResponse,
    status: number,
    type: string,
    detail: string,
    headers: Record<string, string> = {},
  ): void => send(res, status, { type: `urn:ietf:params:acme:error:${type}`, detail, status }, headers);

  const directory = (): Record<string, unknown> => ({
    newNonce: `${base}/new-nonce`,
    newAccount: `${base}/new-account`,
    newOrder: `${base}/new-order`,
    revokeCert: `${base}/revoke`,
    keyChange: `${base}/key-change`,
    ...((options.ari ?? true) ? { renewalInfo: `${base}/renewal-info` } : {}),
    meta: { termsOfService: `${base}/terms`, ...(options.profiles ? { profiles: options.profiles } : {}) },
  });

  /** Verify the JWS; returns the payload and the account (or the jwk key for newAccount). */
  const verifyJws = (
    body: string,
    url: string,
    res: ServerResponse,
  ): { payload: unknown; account?: Account; jwkKey?: KeyObject } | undefined => {
    let jws: { protected: string; payload: string; signature: string };
    let header: Record<string, unknown>;
    try {
      jws = JSON.parse(body) as typeof jws;
      header = JSON.parse(Buffer.from(jws.protected, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      problem(res, 400, 'malformed', 'not a JWS');
      return undefined;
    }
    const nonce = String(header['nonce']);
    if (usedNonces.has(nonce)) state.reusedNonces.push(nonce);
    const known = nonces.delete(nonce);
    usedNonces.add(nonce);
    if (!known) return void problem(res, 400, 'badNonce', 'unknown or used nonce');
    const rejections = state.behaviour.rejectNonces ?? (state.behaviour.rejectFirstNonce ? 1 : 0);
    if (rejections > 0) {
      const key = `${url}#${JSON.stringify(jws.payload).length}#${jws.payload.slice(0, 40)}`;
      const n = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, n);
      if (n <= rejections) {
        state.badNoncesSent += 1;
        const carried = newNonce();
        pendingRetryNonce.set(key, carried);
        return void problem(res, 400, 'badNonce', 'injected bad nonce', { 'replay-nonce': carried });
      }
      if (pendingRetryNonce.get(key) === nonce) state.retriesWithCarriedNonce += 1;
      pendingRetryNonce.delete(key);
    }
    if (header['url'] !== url) return void problem(res, 401, 'unauthorized', 'url header mismatch');
    const alg = ALG[String(header['alg'])];
    if (!alg) return void problem(res, 400, 'badSignatureAlgorithm', 'unsupported alg');
    let key: KeyObject;
    let account: Account | undefined;
    if (header['jwk'] !== undefined && header['kid'] === undefined) {
      key = createPublicKey({ key: header['jwk'] as JsonWebKey, format: 'jwk' });
    } else if (typeof header['kid'] === 'string' && header['jwk'] === undefined) {
      account = [...accounts.values()].find((a) => a.url === header['kid']);
      if (!account) return void problem(res, 400, 'accountDoesNotExist', 'no such account');
      key = account.key;
    } else return void problem(res, 400, 'malformed', 'exactly one of jwk and kid');
    const data = Buffer.from(`${jws.protected}.${jws.payload}`);
    const sig = Buffer.from(jws.signature, 'base64url');
    const ok = alg.p1363
      ? verify(alg.hash, data, { key, dsaEncoding: 'ieee-p1363' }, sig)
      : verify(alg.hash, data, key, sig);
    if (!ok) return void problem(res, 403, 'unauthorized', 'bad signature');
    const payload =
      jws.payload === '' ? '' : (JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8')) as unknown);
    return { payload, ...(account ? { account } : { jwkKey: key }) };
  };

  const thumbprint = (key: KeyObject): string => {
    const j = key.export({ format: 'jwk' });
    const canon =
      j.kty === 'EC'
        ? JSON.stringify({ crv: j.crv, kty: j.kty, x: j.x, y: j.y })
        : JSON.stringify({ e: j.e, kty: j.kty, n: j.n });
    return createHash('sha256').update(canon).digest('base64url');
  };

  const issue = async (order: Order, csrB64: string): Promise<void> => {
    const csr = new x509.Pkcs10CertificateRequest(Buffer.from(csrB64, 'base64url'));
    if (!(await csr.verify())) throw new Error('bad CSR signature');
    const serialBytes = randomBytes(12);
    serialBytes[0] = serialBytes[0]! | 0x80; // high bit set: the certID must carry DER's leading 00
    const serialHex = `00${serialBytes.toString('hex')}`;
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serialHex,
      subject: `CN=${order.names[0]}`,
      issuer: inter.cert.subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 7 * 86_400_000),
      publicKey: csr.publicKey,
      signingKey: inter.key.privateKey,
      signingAlgorithm: ecSign,
      extensions: [
        new x509.SubjectAlternativeNameExtension(order.names.map((value) => ({ type: 'dns' as const, value }))),
        await x509.AuthorityKeyIdentifierExtension.create(inter.key.publicKey),
      ],
    });
    // RFC 9773 §4.1, computed here from the server's own facts.
    order.certId = `${interSki.toString('base64url')}.${Buffer.from(serialHex, 'hex').toString('base64url')}`;
    state.certIds.set(serialHex, order.certId);
    certs.set(order.id, `${leaf.toString('pem')}\n`);
    order.status = 'valid';
  };

  const orderJson = (o: Order): Record<string, unknown> => ({
    status: o.status,
    expires: o.expires,
    identifiers: o.names.map((value) => ({ type: 'dns', value })),
    authorizations: o.authzs.map((a) => `${base}/authz/${a}`),
    finalize: `${base}/finalize/${o.id}`,
    ...(o.profile ? { profile: o.profile } : {}),
    ...(o.status === 'valid' ? { certificate: `${base}/cert/${o.id}` } : {}),
  });
  const authzJson = (a: Authz): Record<string, unknown> => ({
    status: a.status,
    identifier: { type: 'dns', value: a.name },
    expires: new Date(Date.now() + 3_600_000).toISOString(),
    challenges: [
      ...(state.behaviour.extraChallenges ? extraChallenges(a) : []),
      {
        type: 'http-01',
        url: `${base}/chall/${a.id}`,
        token: a.token,
        status: a.status === 'valid' ? 'valid' : a.responded ? 'processing' : 'pending',
      },
    ],
  });
  /** What a 2026 CA may offer besides: dns-persist-01 (no token), a type not invented yet, junk. */
  const extraChallenges = (a: Authz): unknown[] => [
    {
      type: 'dns-persist-01',
      url: `${base}/chall-persist/${a.id}`,
      status: 'pending',
      accounturi: `${base}/account/x`,
      'issuer-domain-names': ['test-ca.example'],
    },
    { type: 'future-99', status: 'pending' },
    42,
    null,
  ];
  /** Retry-After in the configured form: seconds, or the HTTP-date that many seconds ahead. */
  const retryAfter = (seconds: number): string =>
    state.behaviour.retryAfterHttpDate ? new Date(Date.now() + seconds * 1000).toUTCString() : String(seconds);
  /** The newOrder answers of landscape-2026-12 §1: alreadyReplaced, the pause. True when answered. */
  const pitfall = (res: ServerResponse, p: Record<string, unknown>): boolean => {
    if (state.behaviour.alreadyReplaced && typeof p['replaces'] === 'string') {
      problem(res, 409, 'alreadyReplaced', `certificate ${p['replaces']} has already been replaced`);
      return true;
    }
    const names = ((p['identifiers'] as { value: string }[] | undefined) ?? []).map((i) => i.value);
    const paused = names.filter((n) => state.behaviour.paused?.includes(n));
    if (paused.length === 0) return false;
    problem(
      res,
      429,
      'rateLimited',
      `Your account is temporarily prevented from requesting certificates for ${paused.join(', ')} and possibly others. Please visit: https://portal.test-ca.example/sfe/v1/unpause?jwt=${randomBytes(12).toString('base64url')}`,
    );
    return true;
  };

  const route = async (req: IncomingMessage, res: ServerResponse, body: string): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!;
    const url = `${base}${path}`;
    const entry: AcmeTestServer['log'][number] = {
      method: req.method ?? '',
      path,
      ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
    };
    state.log.push(entry);
    if (path === '/directory') return send(res, 200, directory(), { 'replay-nonce': '' });
    if (path === '/new-nonce') {
      res.writeHead(req.method === 'HEAD' ? 200 : 204, { 'replay-nonce': newNonce(), 'cache-control': 'no-store' });
      return void res.end();
    }
    if (req.method === 'GET' && path.startsWith('/renewal-info/')) {
      const id = path.slice('/renewal-info/'.length);
      if (![...state.certIds.values()].includes(id)) return problem(res, 404, 'malformed', 'unknown certID');
      const ari = state.behaviour.ari ?? {
        start: new Date(Date.now() + 86_400_000),
        end: new Date(Date.now() + 2 * 86_400_000),
      };
      return send(
        res,
        200,
        {
          suggestedWindow: { start: ari.start.toISOString(), end: ari.end.toISOString() },
          ...(ari.explanationURL ? { explanationURL: ari.explanationURL } : {}),
        },
        { 'retry-after': String(ari.retryAfterSeconds ?? 21600) },
      );
    }
    if (req.method !== 'POST') return problem(res, 405, 'malformed', 'method not allowed');
    const v = verifyJws(body, url, res);
    if (!v) return;
    entry.payload = v.payload;
    const p = (v.payload ?? {}) as Record<string, unknown>;

    if (path === '/new-account') {
      const jwkKey = v.jwkKey!;
      const existing = [...accounts.values()].find((a) => thumbprint(a.key) === thumbprint(jwkKey));
      if (existing) return send(res, 200, { status: 'valid' }, { location: existing.url });
      if (p['onlyReturnExisting'] === true) return problem(res, 400, 'accountDoesNotExist', 'no account for this key');
      const id = randomBytes(6).toString('hex');
      const acct = { id, key: jwkKey, url: `${base}/account/${id}` };
      accounts.set(id, acct);
      return send(res, 201, { status: 'valid', contact: p['contact'] ?? [] }, { location: acct.url });
    }
    if (!v.account) return problem(res, 400, 'malformed', 'kid required');
    if (path === '/new-order') {
      state.newOrders.push(p);
      if (pitfall(res, p)) return;
      if (state.behaviour.rateLimitSeconds !== undefined) {
        const at = new Date(Date.now() + state.behaviour.rateLimitSeconds * 1000);
        const text = at
          .toISOString()
          .replace('T', ' ')
          .replace(/\.\d+Z$/, ' UTC');
        const dated = state.behaviour.retryAfterHttpDate === true;
        return problem(
          res,
          429,
          'rateLimited',
          `too many new orders (300) from this account in the last 3h0m0s${dated ? '' : `, retry after ${text}`}: see https://letsencrypt.org/docs/rate-limits/#new-orders-per-account`,
          { 'retry-after': retryAfter(state.behaviour.rateLimitSeconds) },
        );
      }
      if (state.behaviour.newOrderStatus)
        return problem(res, state.behaviour.newOrderStatus, 'serverInternal', 'the CA is having a bad day', {
          'retry-after': retryAfter(7),
        });
      const profile = p['profile'];
      if (profile !== undefined && !(typeof profile === 'string' && options.profiles && profile in options.profiles)) {
        return problem(res, 400, 'invalidProfile', `profile ${String(profile)} is not offered`);
      }
      const names = ((p['identifiers'] as { value: string }[] | undefined) ?? []).map((i) => i.value);
      const id = randomBytes(6).toString('hex');
      const ids = names.map((name) => {
        const a: Authz = {
          id: randomBytes(6).toString('hex'),
          name,
          status: 'pending',
          token: state.behaviour.httpToken ?? randomBytes(16).toString('base64url'),
          polls: 0,
          responded: false,
        };
        authzs.set(a.id, a);
        return a.id;
      });
      const o: Order = {
        id,
        account: v.account.id,
        status: 'pending',
        names,
        authzs: ids,
        expires: new Date(Date.now() + 86_400_000).toISOString(),
        ...(typeof profile === 'string' ? { profile } : {}),
        ...(typeof p['replaces'] === 'string' ? { replaces: p['replaces'] } : {}),
      };
      orders.set(id, o);
      const broken = state.behaviour.brokenNewOrder;
      if (broken === 'no-finalize')
        return send(res, 201, { ...orderJson(o), finalize: undefined }, { location: `${base}/order/${id}` });
      return send(res, 201, orderJson(o), {
        location: broken === 'relative-location' ? `/order/${id}` : `${base}/order/${id}`,
      });
    }
    const [, kind, id = ''] = path.split('/');
    if (kind === 'authz') {
      const a = authzs.get(id);
      if (!a) return problem(res, 404, 'malformed', 'no such authz');
      const pending = state.behaviour.pendingPolls;
      if (a.responded && a.status === 'pending') {
        a.polls += 1;
        if (pending && a.polls <= pending.count)
          return send(res, 200, authzJson(a), { 'retry-after': String(pending.retryAfterSeconds) });
        a.status = 'valid';
      }
      return send(res, 200, authzJson(a));
    }
    if (kind === 'chall') {
      const delay = state.behaviour.challengeDelayMs;
      if (delay) await new Promise((r) => setTimeout(r, delay));
      if (res.destroyed) return;
      const a = authzs.get(id);
      if (!a) return problem(res, 404, 'malformed', 'no such challenge');
      a.responded = true;
      if (!state.behaviour.pendingPolls) a.status = 'valid';
      return send(res, 200, (authzJson(a)['challenges'] as unknown[])[0]);
    }
    if (kind === 'order' || kind === 'finalize') {
      const o = orders.get(id);
      if (!o || o.account !== v.account.id) return problem(res, 404, 'malformed', 'no such order');
      if (o.status === 'pending' && o.authzs.every((x) => authzs.get(x)?.status === 'valid')) o.status = 'ready';
      if (kind === 'finalize') {
        if (o.status !== 'ready') return problem(res, 403, 'orderNotReady', `order is ${o.status}`);
        await issue(o, String(p['csr']));
      }
      return send(res, 200, orderJson(o), { location: `${base}/order/${o.id}` });
    }
    if (kind === 'cert') {
      const leaf = certs.get(id);
      if (!leaf) return problem(res, 404, 'malformed', 'no such certificate');
      const k = Number(path.split('/')[3] ?? '0');
      const rest = hierarchy.chains[k];
      if (rest === undefined) return problem(res, 404, 'malformed', 'no such chain');
      if (k === 1 && state.behaviour.brokenAlternate === 'problem')
        return problem(res, 500, 'serverInternal', 'alternate chain unavailable');
      let chain = leaf + rest.map((c) => `${c.toString('pem')}\n`).join('');
      if (k === 1 && state.behaviour.brokenAlternate === 'truncated')
        chain = chain.slice(0, chain.lastIndexOf('-----END CERTIFICATE-----') - 10);
      const alternates = hierarchy.chains.slice(1).map((_, i) => `<${base}/cert/${id}/${i + 1}>;rel="alternate"`);
      return send(res, 200, chain, k > 0 ? {} : { link: [`<${base}/directory>;rel="index"`, ...alternates] });
    }
    return problem(res, 404, 'malformed', 'not found');
  };

  const server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      route(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) => {
        if (!res.headersSent) problem(res, 500, 'serverInternal', String(err));
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  base = `https://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  state.directoryUrl = `${base}/directory`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => {
        removeTempDir(dir);
        resolve();
      });
    });
  return state;
}
