import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chooseRenewalTime,
  clearPause,
  maxNamesPerCertificate,
  PAUSE_HOLD_MS,
  recordFailure,
  recordRenewalInfo,
  recordSuccess,
} from '../../../src/domain/policy.js';
import type { CertState, StoredCert } from '../../../src/domain/types.js';

const DAY = 86_400_000;
const NOW = new Date('2026-11-22T12:00:00Z');
const at = (days: number) => new Date(NOW.getTime() + days * DAY);
const cert: StoredCert = {
  name: 'a.example',
  names: ['a.example'],
  notBefore: at(-60),
  notAfter: at(30),
  serial: 's',
  issuer: 'CN=R12',
  keyType: 'ec256',
  selfSigned: false,
};
const state: CertState = { name: 'a.example', names: ['a.example'], requestedBy: [], failures: 0 };

describe('an ARI window lying in the past is clamped to now', () => {
  const cases: Array<[string, { start: Date; end: Date }, (t: Date) => boolean]> = [
    ['wholly in the past: renew now', { start: at(-3), end: at(-1) }, (t) => t.getTime() === NOW.getTime()],
    ['started in the past: between now and its end', { start: at(-3), end: at(2) }, (t) => t >= NOW && t <= at(2)],
    ['in the future: unchanged', { start: at(2), end: at(4) }, (t) => t >= at(2) && t <= at(4)],
  ];
  for (const [name, window, ok] of cases)
    test(name, () => {
      for (const r of [0, 0.5, 0.999]) {
        const t = chooseRenewalTime(cert, window, r, NOW).at;
        assert.ok(ok(t), `${t.toISOString()} (random ${r})`);
        const rec = recordRenewalInfo(state, cert, window, NOW, r);
        assert.ok(ok(new Date(rec.renewAt!)), `recorded ${rec.renewAt}`);
      }
    });
});

test('a paused name is held a day (waiting does not lift a pause); success or SIGHUP clears it', () => {
  const url = 'https://portal.letsencrypt.org/sfe/v1/unpause?jwt=x';
  const paused = recordFailure(
    state,
    { code: 'ACME_PROBLEM', type: 'rateLimited', detail: 'paused', paused: true, unpauseUrl: url },
    NOW,
    0,
  );
  assert.deepEqual(paused.paused, { at: NOW.toISOString(), unpauseUrl: url });
  assert.equal(paused.lastError?.unpauseUrl, url);
  assert.equal(Date.parse(paused.nextAttempt!), NOW.getTime() + PAUSE_HOLD_MS);
  const cleared = clearPause(paused);
  assert.equal(cleared.paused, undefined);
  assert.equal(cleared.nextAttempt, undefined, 'tried again at once');
  assert.equal(recordSuccess(paused, cert, 'ec256', NOW, 0).paused, undefined);
  assert.equal(recordFailure(paused, { code: 'ACME_NETWORK', detail: 'x' }, NOW, 0).paused, undefined);
  assert.equal(clearPause(state), state, 'nothing to clear');
});

test('maxNamesPerCertificate: 100, and 25 with the short-lived profiles', () => {
  assert.equal(maxNamesPerCertificate(undefined), 100);
  assert.equal(maxNamesPerCertificate('classic'), 100);
  assert.equal(maxNamesPerCertificate('tlsserver'), 25);
  assert.equal(maxNamesPerCertificate('shortlived'), 25);
});
