import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiCertificate, apiHandlers, apiProblem, apiState, type ApiParts, problemUrn } from '../../../src/app/api.js';
import type { CertificateStatus } from '../../../src/reconciler/reconciler.js';

const base: CertificateStatus = {
  name: 'a.example',
  names: ['a.example'],
  requestedBy: [],
  state: 'valid',
  failures: 0,
};

const states: [string, Partial<CertificateStatus>, string][] = [
  ['valid', {}, 'valid'],
  ['valid with a renewal queued is renewing', { job: 'renew (queued): two-thirds-lifetime' }, 'renewing'],
  ['valid with a running re-issue is renewing', { job: 'issue (running): names changed' }, 'renewing'],
  ['valid with an ARI check is valid', { job: 'check-ari (queued): due' }, 'valid'],
  ['held is removal-held', { state: 'held' }, 'removal-held'],
  ['failing stays failing while it retries', { state: 'failing', job: 'issue (running): x' }, 'failing'],
  ['pending', { state: 'pending' }, 'pending'],
  ['expired', { state: 'expired' }, 'expired'],
  ['unwanted', { state: 'unwanted' }, 'unwanted'],
];
for (const [what, over, expected] of states)
  test(`apiState: ${what}`, () => assert.equal(apiState({ ...base, ...over }), expected));

test('apiCertificate: every contract field, null when unknown', () => {
  const c = apiCertificate(base);
  for (const k of [
    'name',
    'names',
    'state',
    'not_before',
    'not_after',
    'renew_at',
    'serial',
    'issuer',
    'key_type',
    'requested_by',
    'last_error',
    'next_attempt',
    'removal_at',
  ])
    assert.ok(k in c, k);
  assert.equal(c.serial, null);
  assert.equal(c.last_error, null);
});

test('apiCertificate: requesters, the CA URL as issuer, the problem with its full type', () => {
  const c = apiCertificate({
    ...base,
    requestedBy: [{ source: 'marathon', appId: '/web', portIndex: 1 }, { source: 'static' }, { source: 'api' }],
    ca: 'https://acme.example/dir',
    issuer: 'CN=Issuer',
    lastError: {
      code: 'ACME_AUTHORIZATION_FAILED',
      type: 'connection',
      detail: 'refused',
      at: '2026-12-02T10:00:00.000Z',
    },
    removeAt: '2026-12-09T10:00:00.000Z',
  });
  assert.deepEqual(c.requested_by, [
    { source: 'marathon', app_id: '/web', port_index: 1 },
    { source: 'static' },
    { source: 'api' },
  ]);
  assert.equal(c.issuer, 'https://acme.example/dir');
  assert.equal(c.issuer_dn, 'CN=Issuer');
  assert.deepEqual(c.last_error, {
    code: 'ACME_AUTHORIZATION_FAILED',
    type: 'urn:ietf:params:acme:error:connection',
    detail: 'refused',
    subproblems: [],
    at: '2026-12-02T10:00:00.000Z',
  });
  assert.equal(c.removal_at, '2026-12-09T10:00:00.000Z');
});

test('problemUrn keeps a full type and expands a short one', () => {
  assert.equal(problemUrn(undefined), null);
  assert.equal(problemUrn('rateLimited'), 'urn:ietf:params:acme:error:rateLimited');
  assert.equal(problemUrn('urn:ietf:params:acme:error:dns'), 'urn:ietf:params:acme:error:dns');
});

test('apiProblem: snake_case fields', () => {
  assert.deepEqual(
    apiProblem({
      source: 'marathon',
      appId: '/x',
      portIndex: 0,
      label: 'MARATHON_ACME_0_DOMAIN',
      value: 'a%2eb',
      code: 'INVALID_NAME',
      reason: 'bad',
    }),
    {
      source: 'marathon',
      app_id: '/x',
      port_index: 0,
      label: 'MARATHON_ACME_0_DOMAIN',
      value: 'a%2eb',
      code: 'INVALID_NAME',
      reason: 'bad',
    },
  );
});

test('revoke: the leaf read from its bundle is revoked; a changed file is 404, an unreadable one 503', async () => {
  const status: CertificateStatus = { ...base, serial: '0a', ca: 'https://ca.test/dir' };
  const cases: Array<{
    name: string;
    read: () => Promise<string | undefined>;
    status?: number;
    revoked: string[];
  }> = [
    { name: 'the file holds the certificate', read: async () => 'LEAF', revoked: ['LEAF'] },
    { name: 'the file holds another certificate', read: async () => undefined, status: 404, revoked: [] },
    {
      name: 'the file cannot be read',
      read: async () => Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })),
      status: 503,
      revoked: [],
    },
  ];
  for (const c of cases) {
    const revoked: string[] = [];
    let ids = 0;
    const handlers = apiHandlers({
      reconciler: {
        status: () => ({ certificates: [status] }) as unknown as ReturnType<ApiParts['reconciler']['status']>,
        renewNow: async () => 'accepted',
        installedPem: c.read,
        releaseRemovals: () => [],
      },
      events: { emit: (e: object) => ({ ...e, id: ++ids }) } as unknown as ApiParts['events'],
      journal: {} as ApiParts['journal'],
      domains: {} as ApiParts['domains'],
      issuer: {
        revoke: async (pem: string) => {
          revoked.push(pem);
        },
      },
    });
    const r = await handlers.revoke('a.example', 'keyCompromise', 'ops');
    assert.equal(r.ok ? undefined : r.status, c.status, c.name);
    if (!r.ok) assert.doesNotMatch(r.error, /permission denied|\//, `${c.name}: no paths or raw errors`);
    if (!r.ok && c.status === 404) assert.match(r.error, /no longer holds serial 0a/, c.name);
    assert.deepEqual(revoked, c.revoked, c.name);
  }
});
