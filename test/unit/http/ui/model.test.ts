import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  attention,
  isDue,
  isFailing,
  lifetimeLeft,
  relative,
  requesterText,
  searchText,
  type UiCertificate,
} from '../../../../src/http/ui/model.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const iso = (offsetMs: number): string => new Date(NOW + offsetMs).toISOString();
const DAY = 86_400_000;

test('isDue: below the renewal point relative to the lifetime, not a fixed number of days', () => {
  const cases: Array<[string, UiCertificate, boolean]> = [
    // A 6-day certificate 3 days in: 3 days left, but its renewal point (4 days in) is still ahead.
    [
      '6-day certificate half-way: not due',
      { name: 'short', state: 'valid', notAfter: iso(3 * DAY), renewAt: iso(DAY) },
      false,
    ],
    ['6-day certificate past 2/3: due', { name: 'short', state: 'valid', notAfter: iso(DAY), renewAt: iso(-1) }, true],
    [
      '90-day certificate with 20 days left, renewal later: not due',
      { name: 'long', state: 'valid', notAfter: iso(20 * DAY), renewAt: iso(DAY) },
      false,
    ],
    ['expired: due', { name: 'x', state: 'expired', notAfter: iso(-DAY) }, true],
    ['unwanted: never due', { name: 'x', state: 'unwanted', renewAt: iso(-DAY) }, false],
    ['held: never due', { name: 'x', state: 'held', renewAt: iso(-DAY) }, false],
    ['no renewal time (pending): not due', { name: 'x', state: 'pending' }, false],
  ];
  for (const [name, cert, want] of cases) assert.equal(isDue(cert, NOW), want, name);
});

test('isFailing: the failing state, or failures with an error whatever the state', () => {
  const cases: Array<[string, UiCertificate, boolean]> = [
    ['failing state', { name: 'a', state: 'failing' }, true],
    ['expired with a failed renewal', { name: 'a', state: 'expired', failures: 2, lastError: { detail: 'x' } }, true],
    ['valid', { name: 'a', state: 'valid', failures: 0 }, false],
    ['failures without an error', { name: 'a', state: 'valid', failures: 1 }, false],
  ];
  for (const [name, cert, want] of cases) assert.equal(isFailing(cert), want, name);
});

test('attention: failing by next attempt, due by expiry, problems grouped by app, waiting gates', () => {
  const a = attention(
    {
      certificates: [
        { name: 'late.test', state: 'failing', failures: 1, lastError: { detail: 'd' }, nextAttempt: iso(60_000) },
        { name: 'soon.test', state: 'failing', failures: 3, lastError: { detail: 'd' }, nextAttempt: iso(1000) },
        { name: 'due2.test', state: 'valid', notAfter: iso(2 * DAY), renewAt: iso(-1000) },
        { name: 'due1.test', state: 'valid', notAfter: iso(DAY), renewAt: iso(-1000) },
        { name: 'fine.test', state: 'valid', notAfter: iso(80 * DAY), renewAt: iso(50 * DAY) },
      ],
      heldRemovals: ['gone.test'],
      problems: [
        { source: 'marathon', appId: '/b', code: 'INVALID_NAME', reason: 'r' },
        { source: 'marathon', appId: '/a', code: 'INVALID_NAME', reason: 'r' },
        { source: 'marathon', appId: '/b', code: 'DOMAIN_NOT_ALLOWED', reason: 'r' },
        { source: 'static', code: 'INVALID_NAME', reason: 'r' },
      ],
      gates: { ca: { state: 'waiting', since: iso(-1000) }, storage: { state: 'open' } },
    },
    NOW,
  );
  assert.deepEqual(
    a.failing.map((c) => c.name),
    ['soon.test', 'late.test'],
  );
  assert.deepEqual(
    a.due.map((c) => c.name),
    ['due1.test', 'due2.test'],
  );
  assert.deepEqual(a.heldRemovals, ['gone.test']);
  assert.deepEqual(
    a.problemsByApp.map(([app, list]) => [app, list.length]),
    [
      ['/a', 1],
      ['/b', 2],
      ['static', 1],
    ],
  );
  assert.deepEqual(
    a.waitingGates.map(([n]) => n),
    ['ca'],
  );
});

test('lifetimeLeft, requesterText, searchText, relative', () => {
  assert.equal(lifetimeLeft({ name: 'a', notBefore: iso(-3 * DAY), notAfter: iso(3 * DAY) }, NOW), 0.5);
  assert.equal(lifetimeLeft({ name: 'a', notAfter: iso(DAY) }, NOW), undefined);
  assert.equal(requesterText({ source: 'marathon', appId: '/team/web', portIndex: 1 }), '/team/web port 1');
  assert.equal(requesterText({ source: 'static' }), 'static');
  assert.equal(
    searchText({ name: 'web.test', names: ['web.test', 'www.web.test'], requestedBy: [{ appId: '/Team/Web' }] }),
    'web.test web.test www.web.test /team/web',
  );
  const cases: Array<[string, number, string]> = [
    ['future minutes', 4 * 60_000, 'in 4 min'],
    ['past hours', -3 * 3_600_000, '3 h ago'],
    ['seconds', 5000, 'in 5 s'],
    ['days', 2 * DAY, 'in 2 d'],
  ];
  for (const [name, offset, want] of cases) assert.equal(relative(iso(offset), NOW), want, name);
  assert.equal(relative(undefined, NOW), '');
});
