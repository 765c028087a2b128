/**
 * The status page in real headless Chromium against the whole system: the Marathon simulator, the
 * daemon as a child process, Pebble validating HTTP-01 through HAProxy. One stack and one Chromium for
 * the file. Screenshots of each state go to the artefacts directory the test prints.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { app, startStack, type Stack } from '../support/stack.js';
import type { Locator } from 'playwright-core';
import { startBrowser, type TestBrowser, type WatchedPage } from '../support/browser.js';

const labels = (name: string): Record<string, string> => ({
  HAPROXY_GROUP: 'external',
  HAPROXY_0_VHOST: name,
  MARATHON_ACME_0_DOMAIN: name,
});
const BROKEN = 'broken.ui.test';
const HOSTILE_ID = '/ui/<img src=x onerror="window.__pwned=1">';
const HOSTILE_LABEL = '<script>window.__pwned=2</script>';
/** The page polls every 5 s: anything it must show appears well within this. */
const SHOWN_MS = 60_000;

let stack: Stack;
let chrome: TestBrowser;
let w: WatchedPage;

before(async () => {
  stack = await startStack({ apps: [app('/ui/web', labels('web.ui.test'))] });
  // Pebble resolves this name to an address where nothing listens: its HTTP-01 validation fails.
  await stack.pebble.routeNowhere(BROKEN);
  chrome = await startBrowser('ui');
  w = await chrome.newPage();
});
after(async () => {
  await chrome?.close();
  await stack?.stop();
});

/**
 * Wait until `expression` is true in the page. Polled from here with `page.evaluate` (the DevTools
 * protocol), because Playwright's string predicates use eval, which the page's CSP forbids.
 */
async function until(page: WatchedPage['page'], expression: string, timeoutMs = SHOWN_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The text of the element (textContent). */
async function text(l: Locator): Promise<string> {
  return (await l.textContent()) ?? '';
}

/** POST an app to the simulator, as a deployment would. */
async function postApp(body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${stack.sim.url}/v2/apps`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 201, await res.text());
}

test('the page loads from / with no console errors and lists the certificates', { timeout: 120_000 }, async () => {
  await stack.waitServed('web.ui.test');
  const res = await w.page.goto(`${stack.daemonUrl}/`);
  assert.equal(res?.status(), 200);
  assert.equal(new URL(w.page.url()).pathname, '/ui/');
  await w.page.locator('#all tr[data-cert="web.ui.test"]').waitFor({ timeout: SHOWN_MS });
  assert.match(await text(w.page.locator('#all tr[data-cert="web.ui.test"]')), /valid/);
  assert.match(await text(w.page.locator('#health')), /Health/);
  await w.shot('01-loaded.png');
  assert.deepEqual(w.errors, []);
});

test('an app posted to the simulator appears without a reload', { timeout: 120_000 }, async () => {
  await w.page.evaluate('window.__sameDocument = true');
  await postApp(app('/ui/new', labels('new.ui.test')));
  await w.page.locator('#all tr[data-cert="new.ui.test"]').waitFor({ timeout: SHOWN_MS });
  assert.equal(await w.page.evaluate('window.__sameDocument'), true);
  await w.shot('02-app-posted.png');
  assert.deepEqual(w.errors, []);
});

test("a failing certificate leads the page with Pebble's detail and the next attempt", {
  timeout: 120_000,
}, async () => {
  await postApp(app('/ui/broken', labels(BROKEN)));
  const card = w.page.locator(`#failing [data-cert="${BROKEN}"]`);
  await card.waitFor({ timeout: SHOWN_MS });
  const status = (await (await fetch(`${stack.daemonUrl}/status`)).json()) as {
    certificates: Array<{ name: string; nextAttempt?: string; lastError?: { detail: string; type?: string } }>;
  };
  const c = status.certificates.find((x) => x.name === BROKEN)!;
  assert.ok(c.lastError && c.nextAttempt, JSON.stringify(c));
  await until(
    w.page,
    `document.querySelector('#failing .detail')?.textContent === ${JSON.stringify(c.lastError.detail)}`,
  );
  const shown = await text(card);
  assert.match(shown, /127\.0\.0\.2/, "Pebble's own words name the address it could not reach");
  assert.ok(shown.includes(c.lastError.type ?? ''), 'the ACME problem type');
  assert.equal(await card.locator('dd time').first().getAttribute('datetime'), c.nextAttempt);
  assert.match(await text(card.locator('dd time').first()), /\(in \d+ (s|min|h)\)/);
  const failingTop = (await w.page.locator('#failing').boundingBox())!.y;
  const allTop = (await w.page.locator('#all').boundingBox())!.y;
  assert.ok(failingTop < allTop, 'failing certificates come before the list of all');
  assert.match(await w.page.title(), /\(1 failing\)/);
  await w.shot('03-failing.png');
  assert.deepEqual(w.errors, []);
});

test('keyboard: tab to the search box and the buttons; every control has an accessible name', {
  timeout: 60_000,
}, async () => {
  const { page } = w;
  await page.goto(`${stack.daemonUrl}/ui/`);
  const focusedId = (): Promise<string> => page.evaluate("document.activeElement?.id ?? ''");
  const tabTo = async (id: string): Promise<void> => {
    for (let i = 0; i < 40 && (await focusedId()) !== id; i++) await page.keyboard.press('Tab');
    assert.equal(await focusedId(), id, `Tab reaches #${id}`);
  };
  await tabTo('search');
  assert.equal(await page.getByRole('searchbox', { name: 'Search by name or app id' }).count(), 1);
  await page.keyboard.type('/ui/broken');
  assert.equal(await page.locator('#all tr[data-cert="web.ui.test"]').isHidden(), true, 'filtered by app id');
  assert.equal(await page.locator(`#all tr[data-cert="${BROKEN}"]`).isVisible(), true);
  await page.keyboard.press('Control+a');
  await page.keyboard.type('WEB.UI');
  assert.equal(await page.locator('#all tr[data-cert="web.ui.test"]').isVisible(), true, 'filtered by name');
  assert.equal(await page.locator(`#all tr[data-cert="${BROKEN}"]`).isHidden(), true);
  await tabTo(`renew-${BROKEN}`);
  assert.equal(await page.getByRole('button', { name: `Renew ${BROKEN} now` }).count(), 1);
  await page.keyboard.press('Enter');
  // No token yet: the page asks for one instead of calling the API.
  assert.equal(await focusedId(), 'token');
  assert.match(await text(page.locator('#note')), /enter an operator token/);
  assert.equal(await page.getByLabel('Token (kept in this tab only)').count(), 1);
  await page.keyboard.type('not-a-real-token');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate("sessionStorage.getItem('marathon-acme-token')"), 'not-a-real-token');
  assert.ok(!page.url().includes('not-a-real-token'), 'the token never goes into the URL');
  assert.equal(await page.locator('#token').inputValue(), '', 'the field is cleared');
  await w.shot('04-keyboard.png');
  // The certificate page, reached with the keyboard.
  await page.locator(`#failing a[href="/ui/cert/${BROKEN}"]`).focus();
  await Promise.all([page.waitForURL(`**/ui/cert/${BROKEN}`), page.keyboard.press('Enter')]);
  assert.match(await text(page.locator('ol.chain')), /Last problem/);
  assert.equal(await page.getByLabel('Revocation reason').count(), 1);
  assert.equal(
    await page.getByRole('button', { name: `Revoke ${BROKEN} at the CA and order a replacement` }).count(),
    1,
  );
  await tabTo(`revoke-${BROKEN}`);
  await page.keyboard.press('Enter');
  // Revocation cannot be undone: the first press only arms the button (no request is sent).
  assert.match(await text(page.locator('#note')), /press the button again within 10 s/);
  assert.equal(await text(page.locator(`[id="revoke-${BROKEN}"]`)), 'Press again to revoke');
  await w.shot('05-certificate.png');
  assert.deepEqual(w.errors, []);
});

test('readable at 360 px (no horizontal scroll) and on a wall screen', { timeout: 60_000 }, async () => {
  for (const [width, height, file] of [
    [360, 800, '06-phone-360.png'],
    [2560, 1440, '07-wall-2560.png'],
  ] as const) {
    const v = await chrome.newPage(width, height);
    await v.page.goto(`${stack.daemonUrl}/ui/`);
    await v.page.locator(`#failing [data-cert="${BROKEN}"]`).waitFor();
    const { scroll, inner } = await v.page.evaluate<{ scroll: number; inner: number }>(
      '({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth })',
    );
    assert.ok(scroll <= inner, `${width} px: content ${scroll} px wide fits in ${inner} px`);
    await v.shot(file);
    assert.deepEqual(v.errors, []);
    await v.page.context().close();
  }
});

test('hostile app ids and labels render as inert text', { timeout: 120_000 }, async () => {
  await postApp(app(HOSTILE_ID, { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: HOSTILE_LABEL }));
  const { page } = w;
  await page.goto(`${stack.daemonUrl}/ui/`);
  await until(page, `document.querySelector('#problems')?.textContent?.includes(${JSON.stringify(HOSTILE_LABEL)})`);
  // Once more after a live refresh (the fragment swapped in by the script), not only the first render.
  await until(page, "document.getElementById('updated')?.textContent?.startsWith('updated')");
  const problems = await text(page.locator('#problems'));
  assert.ok(problems.includes(HOSTILE_LABEL), 'the label is shown as text');
  assert.ok(problems.includes('onerror="window.__pwned=1"'), 'the app id is shown as text');
  assert.equal(await page.evaluate('window.__pwned'), undefined);
  assert.equal(await page.locator('script').count(), 1, 'only the page script');
  assert.equal(await page.locator('img').count(), 0);
  await w.shot('08-hostile.png');
  assert.deepEqual(w.errors, []);
});
