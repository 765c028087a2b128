import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, html, raw } from '../../../../src/http/ui/html.js';
import { matchUiRequest, renderUi, securityHeaders, type UiStatus } from '../../../../src/http/ui/index.js';
import { safeUrl } from '../../../../src/http/ui/pages.js';
import { SCRIPT, STYLE } from '../../../../src/http/ui/assets.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'`&';

test('escapeHtml and html: every interpolation is escaped, built markup is not', () => {
  assert.equal(escapeHtml(`<a href="x">'&\``), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#96;');
  assert.equal(html`<p>${'<b>'}</p>`.text, '<p>&lt;b&gt;</p>');
  assert.equal(html`<p>${html`<b>${'&'}</b>`}</p>`.text, '<p><b>&amp;</b></p>');
  assert.equal(html`${['<i>', raw('<br>')]}`.text, '&lt;i&gt;<br>');
  assert.equal(html`${undefined}${null}${false}${0}`.text, '0');
});

test('matchUiRequest: exact paths only', () => {
  const cases: Array<[string, string, string, unknown]> = [
    ['root redirects', '/', '', { kind: 'redirect', location: '/ui/' }],
    ['/ui redirects', '/ui', '', { kind: 'redirect', location: '/ui/' }],
    ['overview', '/ui/', '', { kind: 'overview', fragment: false }],
    ['overview fragment', '/ui/', 'fragment=main', { kind: 'overview', fragment: true }],
    ['certificate', '/ui/cert/web.example.com', '', { kind: 'certificate', name: 'web.example.com', fragment: false }],
    ['encoded slash is not a name', '/ui/cert/a%2Fb', '', undefined],
    ['dot-dot segment', '/ui/cert/../status', '', undefined],
    ['nested path', '/ui/cert/a/b', '', undefined],
    ['empty name', '/ui/cert/', '', undefined],
    ['other path', '/uix/', '', undefined],
    ['double slash', '//ui/', '', undefined],
  ];
  for (const [name, path, query, want] of cases) assert.deepEqual(matchUiRequest(path, query), want, name);
});

const STATUS: UiStatus = {
  version: '1.2.3',
  certificates: [
    {
      name: 'bad.test',
      names: ['bad.test'],
      state: 'failing',
      failures: 2,
      requestedBy: [{ source: 'marathon', appId: `/team/${HOSTILE}`, portIndex: 0 }],
      lastError: {
        code: 'ACME_ERROR',
        type: 'urn:ietf:params:acme:error:connection',
        detail: `127.0.0.2: Fetching http://bad.test/.well-known/acme-challenge/x: ${HOSTILE}`,
        at: '2026-06-01T11:59:00Z',
      },
      nextAttempt: '2026-06-01T12:05:00Z',
    },
    {
      name: 'ok.test',
      names: ['ok.test'],
      state: 'valid',
      notAfter: '2026-08-01T00:00:00Z',
      renewAt: '2026-07-01T00:00:00Z',
    },
  ],
  heldRemovals: ['old.test'],
  problems: [
    {
      source: 'marathon',
      appId: HOSTILE,
      label: 'MARATHON_ACME_0_DOMAIN',
      value: HOSTILE,
      code: 'INVALID_NAME',
      reason: 'bad',
    },
  ],
  cluster: { leader: HOSTILE, members: [1, 2] },
};

test('the overview leads with what needs attention, then every certificate, health and the cluster', () => {
  const r = renderUi(
    { kind: 'overview', fragment: false },
    { status: STATUS, now: NOW, health: { healthy: true, checks: { ca: { ok: true, detail: 'reachable' } } } },
    { api: false, readAuth: false },
    'N0NCE',
  );
  assert.equal(r.status, 200);
  assert.equal(r.contentType, 'text/html; charset=utf-8');
  const order = ['id="failing"', 'id="held"', 'id="problems"', 'id="all"', 'id="health"', 'id="cluster"'].map((s) =>
    r.body.indexOf(s),
  );
  assert.ok(
    order.every((i) => i > 0),
    `every section present: ${order.join(',')}`,
  );
  assert.deepEqual(
    [...order].sort((a, b) => a - b),
    order,
    'sections in order',
  );
  assert.match(r.body, /urn:ietf:params:acme:error:connection/);
  assert.match(r.body, /<time datetime="2026-06-01T12:05:00Z">/);
  assert.match(r.body, /data-action="release"/);
  assert.match(r.body, /data-api="off"/);
});

test('hostile values render inert: no markup from the network, only our nonce-carrying script', () => {
  for (const req of [
    { kind: 'overview', fragment: false } as const,
    { kind: 'certificate', name: 'bad.test', fragment: false } as const,
  ]) {
    const body = renderUi(req, { status: STATUS, now: NOW }, { api: true, readAuth: false }, 'N0NCE').body;
    assert.ok(!body.includes(HOSTILE), 'the raw value never appears');
    assert.equal((body.match(/<script/g) ?? []).length, 1, 'one script element');
    assert.match(body, /<script nonce="N0NCE">/);
    assert.ok(!/<img/.test(body), 'no img element');
    assert.match(body, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  }
});

test('the certificate page shows the causal chain, actions and where the history comes from', () => {
  const r = renderUi(
    { kind: 'certificate', name: 'bad.test', fragment: true },
    { status: STATUS, now: NOW },
    { api: true, readAuth: false },
  );
  assert.equal(r.status, 200);
  assert.ok(!r.body.includes('<html'), 'a fragment is only the main contents');
  assert.match(r.body, /class="chain"/);
  assert.match(r.body, /Next attempt/);
  assert.match(r.body, /data-action="revoke"/);
  assert.match(r.body, /<label for="reason">/);
  assert.match(r.body, /data-history="\/api\/v1\/certificates\/bad\.test"/);
  const missing = renderUi(
    { kind: 'certificate', name: 'nope.test', fragment: false },
    { status: STATUS, now: NOW },
    { api: false, readAuth: false },
  );
  assert.equal(missing.status, 404);
});

test('strict CSP with a fresh nonce per response; redirects; read auth renders no data', () => {
  const h = securityHeaders('abc');
  assert.match(h['Content-Security-Policy']!, /default-src 'none'/);
  assert.match(h['Content-Security-Policy']!, /script-src 'nonce-abc'(;|$)/);
  assert.ok(!/unsafe-inline|unsafe-eval/.test(h['Content-Security-Policy']!));
  const a = renderUi(
    { kind: 'overview', fragment: false },
    { status: STATUS, now: NOW },
    { api: false, readAuth: false },
  );
  const b = renderUi(
    { kind: 'overview', fragment: false },
    { status: STATUS, now: NOW },
    { api: false, readAuth: false },
  );
  assert.notEqual(a.headers['Content-Security-Policy'], b.headers['Content-Security-Policy']);
  const nonce = /'nonce-([^']+)'/.exec(a.headers['Content-Security-Policy']!)![1]!;
  assert.ok(a.body.includes(`<script nonce="${nonce}">`));
  const r = renderUi({ kind: 'redirect', location: '/ui/' }, { now: NOW }, { api: false, readAuth: false });
  assert.equal(r.status, 302);
  assert.equal(r.headers['Location'], '/ui/');
  const locked = renderUi({ kind: 'overview', fragment: false }, { now: NOW }, { api: false, readAuth: true });
  assert.match(locked.body, /read scope/);
  assert.match(locked.body, /data-read-auth="on"/);
});

test('safeUrl links only http(s)', () => {
  assert.equal(safeUrl('https://ca.example/unpause?x=1'), 'https://ca.example/unpause?x=1');
  assert.equal(safeUrl('javascript:alert(1)'), '#');
  assert.equal(safeUrl('data:text/html,x'), '#');
});

test('the inline script and style are sent verbatim, parse, and cannot close their element early', () => {
  const body = renderUi(
    { kind: 'overview', fragment: false },
    { status: STATUS, now: NOW },
    { api: false, readAuth: false },
  ).body;
  assert.ok(body.includes(SCRIPT), 'script not escaped');
  assert.ok(body.includes(STYLE), 'style not escaped');
  assert.ok(!SCRIPT.includes('</'), 'no end tag inside the script');
  assert.ok(!STYLE.includes('</'), 'no end tag inside the style');
  assert.doesNotThrow(() => new Function(SCRIPT), 'the script parses');
});

test('a kept fragment is rendered again once a certificate passes its renewal point', () => {
  const renewAt = '2026-06-01T12:30:00Z';
  const status: UiStatus = {
    certificates: [{ name: 'six-day.test', state: 'valid', notAfter: '2026-06-03T12:00:00Z', renewAt }],
  };
  const req = { kind: 'overview', fragment: true } as const;
  const o = { api: false, readAuth: false };
  const before = renderUi(req, { status, now: NOW }, o);
  assert.doesNotMatch(before.body, /id="due"/);
  assert.equal(renderUi(req, { status, now: NOW + 60_000 }, o).headers['ETag'], before.headers['ETag'], 'kept');
  const after = renderUi(req, { status, now: Date.parse(renewAt) + 1 }, o);
  assert.notEqual(after.headers['ETag'], before.headers['ETag']);
  assert.match(after.body, /id="due"[\s\S]*six-day\.test/);
});
