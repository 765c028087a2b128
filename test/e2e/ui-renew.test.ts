/**
 * The status page's renew button, in real headless Chromium, against the whole system: a click with a
 * write token calls `POST /api/v1/certificates/{name}/renew`, and HAProxy then serves a new serial,
 * which the page shows without a reload. Needs the operator API's renew route (issue 11).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { app, startStack, type Stack } from '../support/stack.js';
import { startBrowser, type TestBrowser } from '../support/browser.js';
import { makeTempDir, removeTempDir } from '../support/temp-dirs.js';
import { hashToken } from '../../src/lib/tokens.js';

const NAME = 'renew.ui.test';
const WRITE = 'ui-renew-write-token-0123456789abcdef';
let stack: Stack;
let chrome: TestBrowser;
let dir: string;

before(async () => {
  dir = makeTempDir('marathon-acme-ui-renew-');
  const tokens = join(dir, 'tokens');
  writeFileSync(tokens, `ops write ${hashToken(WRITE)}\n`, { mode: 0o600 });
  stack = await startStack({
    apps: [app('/ui/renew', { HAPROXY_GROUP: 'external', HAPROXY_0_VHOST: NAME, MARATHON_ACME_0_DOMAIN: NAME })],
    daemonArgs: ['--api-tokens-file', tokens],
  });
  chrome = await startBrowser('ui-renew');
});
after(async () => {
  await chrome?.close();
  await stack?.stop();
  removeTempDir(dir);
});

test('a renew click with a write token changes the served serial, and the page shows it', {
  timeout: 180_000,
}, async () => {
  const before = await stack.waitServed(NAME);
  const w = await chrome.newPage();
  const { page } = w;
  await page.goto(`${stack.daemonUrl}/ui/cert/${NAME}`);
  const chain = page.locator('ol.chain');
  assert.match((await chain.textContent()) ?? '', new RegExp(before.serial, 'i'), 'the page shows the served serial');
  await page.locator('#token-box summary').click();
  await page.getByLabel('Token (kept in this tab only)').fill(WRITE);
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: `Renew ${NAME} now` }).click();
  await page.locator('#note', { hasText: /accepted \(HTTP 202\)/ }).waitFor({ timeout: 10_000 });
  await w.shot('01-renew-accepted.png');
  const renewed = await stack.waitServed(NAME, { notSerial: before.serial, timeoutMs: 90_000 });
  assert.notEqual(renewed.serial, before.serial);
  await page.locator('ol.chain', { hasText: new RegExp(renewed.serial, 'i') }).waitFor({ timeout: 30_000 });
  await w.shot('02-renewed.png');
  assert.ok(!page.url().includes(WRITE), 'the token never goes into the URL');
  assert.deepEqual(w.errors, []);
});
