import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warmUpAccount } from '../../../src/app/warm-up.js';
import { memoryLogger } from '../../support/notify-fakes.js';

const meta = { profiles: { tlsserver: '' }, externalAccountRequired: false, renewalInfo: true };
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i += 1) await new Promise((r) => setImmediate(r));
};

test('warmUpAccount retries an unreachable CA with backoff (1 s doubling to 30 s) until the account is ready', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { logger, lines } = memoryLogger();
  let attempts = 0;
  const issuer = {
    init: async () => {
      attempts += 1;
      if (attempts < 3) throw new Error('ECONNREFUSED');
    },
    directoryMeta: async () => meta,
  };
  const done = warmUpAccount(issuer, logger, new AbortController().signal);
  await settle();
  assert.equal(attempts, 1);
  t.mock.timers.tick(1000 * 0.7 - 1); // jitter 0.3: the first delay is at least 0.7 s
  await settle();
  assert.equal(attempts, 1);
  t.mock.timers.tick(1000 * 0.3 + 1);
  await settle();
  assert.equal(attempts, 2);
  t.mock.timers.tick(2000);
  await done;
  assert.equal(attempts, 3);
  assert.match(lines(), /"level":"warn".*"attempt":1,.*"retry_in":[01],.*"msg":"ACME server not reachable"/);
  assert.doesNotMatch(lines(), /"level":"warn".*"attempt":2/, 'one warning per outage, not one per attempt');
  assert.match(lines(), /"profiles":\["tlsserver"\],"ari":true,.*"msg":"ACME account ready"/);
});

test('warmUpAccount ends quietly when aborted', async () => {
  const { logger, lines } = memoryLogger();
  const ctl = new AbortController();
  const issuer = {
    init: async () => {
      ctl.abort();
      throw Object.assign(new Error('aborted'), { name: 'AbortError' });
    },
    directoryMeta: async () => meta,
  };
  await warmUpAccount(issuer, logger, ctl.signal);
  assert.doesNotMatch(lines(), /ACME server not reachable|ACME account ready/);
});
