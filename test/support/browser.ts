/**
 * Real headless Chromium (Debian `chromium` at /usr/bin/chromium) for the status page's browser tests,
 * driven by `playwright-core` (no bundled browser). Throws when Chromium is missing: those tests FAIL,
 * they never skip. Collects every console error, uncaught page error and failed request of each page,
 * and writes screenshots to an artefacts directory (printed; kept after the run, replaced by the next).
 */
import { accessSync, constants, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_BIN = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

export interface TestBrowser {
  readonly browser: Browser;
  /** Where screenshots go: `$MARATHON_ACME_ARTEFACTS/<name>` or `<tmpdir>/marathon-acme-artefacts/<name>`. */
  readonly artefacts: string;
  /** A new page (own context, so its sessionStorage is its own) of `width` × `height` CSS pixels. */
  newPage(width?: number, height?: number): Promise<WatchedPage>;
  close(): Promise<void>;
}

export interface WatchedPage {
  readonly page: Page;
  /** Console errors, uncaught exceptions and failed requests seen so far, as text. */
  readonly errors: string[];
  /** Full-page screenshot to `<artefacts>/<file>`; returns its path. */
  shot(file: string): Promise<string>;
}

/** Start Chromium once for a test file. `name` names the artefacts directory (emptied first). */
export async function startBrowser(name: string): Promise<TestBrowser> {
  try {
    accessSync(CHROMIUM_BIN, constants.X_OK);
  } catch {
    throw new Error(`${CHROMIUM_BIN} is not installed (apt-get install chromium): the browser tests need it`);
  }
  const artefacts = join(process.env.MARATHON_ACME_ARTEFACTS ?? join(tmpdir(), 'marathon-acme-artefacts'), name);
  rmSync(artefacts, { recursive: true, force: true });
  mkdirSync(artefacts, { recursive: true });
  process.stdout.write(`# browser test artefacts (screenshots): ${artefacts}\n`);
  // --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start; the page is our own.
  const browser = await chromium.launch({ executablePath: CHROMIUM_BIN, args: ['--no-sandbox'] });
  return {
    browser,
    artefacts,
    async newPage(width = 1280, height = 900) {
      const context = await browser.newContext({ viewport: { width, height } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
      page.on('requestfailed', (r) => {
        const why = r.failure()?.errorText ?? '';
        // The page's own background requests (the event stream, a poll in flight) are cancelled by the browser
        // when the page reloads or navigates: ERR_ABORTED is that cancel, not a failure of the server.
        if (why === 'net::ERR_ABORTED' && ['fetch', 'eventsource', 'xhr'].includes(r.resourceType())) return;
        errors.push(`request failed: ${r.url()} ${why}`);
      });
      return {
        page,
        errors,
        async shot(file) {
          const path = join(artefacts, file);
          await page.screenshot({ path, fullPage: true });
          return path;
        },
      };
    },
    close: () => browser.close(),
  };
}
