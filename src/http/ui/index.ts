/**
 * The status page (`GET /ui/`, one page per certificate at `GET /ui/cert/<name>`, `GET /` → `/ui/`):
 * server-rendered HTML from the `/status` model and `/health`, with inline style and script only, under
 * a strict Content-Security-Policy whose nonce is new for every response. `?fragment=main` answers only
 * the contents of `<main>`: the page's script re-reads it every few seconds and on each lifecycle event.
 *
 * Paths are matched exactly (no decoding into other routes); a certificate name is a DNS name.
 * The one state here: the last fragment of each page (at most 32), so polls of unchanged data do not
 * render again, and its ETag, so they send nothing (304).
 */
import { randomBytes } from 'node:crypto';
import { SCRIPT, STYLE } from './assets.js';
import { html, type Markup, raw } from './html.js';
import { attention, type UiHealth, type UiStatus } from './model.js';
import { certificatePage, overview } from './pages.js';

export { POLL_MS } from './assets.js';
export type { UiHealth, UiStatus } from './model.js';

/** What a request under the page asks for. */
export type UiRequest =
  | { readonly kind: 'redirect'; readonly location: string }
  | { readonly kind: 'overview'; readonly fragment: boolean }
  | { readonly kind: 'certificate'; readonly name: string; readonly fragment: boolean };

/** A certificate name as it may appear in the path: the characters of a DNS name, nothing to decode. */
const NAME_RE = /^[A-Za-z0-9._-]{1,253}$/;

/** The page's request for a path and query string (without `?`), or undefined when it is not a page path. */
export function matchUiRequest(path: string, query: string): UiRequest | undefined {
  const fragment = new URLSearchParams(query).get('fragment') === 'main';
  if (path === '/' || path === '/ui') return { kind: 'redirect', location: '/ui/' };
  if (path === '/ui/') return { kind: 'overview', fragment };
  const name = path.startsWith('/ui/cert/') ? path.slice('/ui/cert/'.length) : undefined;
  if (name !== undefined && NAME_RE.test(name)) return { kind: 'certificate', name, fragment };
  return undefined;
}

/** What the page is rendered from. `status`/`health` are absent when reads need a token (`--api-read-auth`). */
export interface UiData {
  readonly status?: UiStatus;
  readonly health?: UiHealth;
  readonly now: number;
}

export interface UiOptions {
  /** The `/api/v1` routes are served: the page subscribes to `/api/v1/events` and reads the history. */
  readonly api: boolean;
  /** Reads need a `read` token: the page loads empty and its script fetches the data with the token. */
  readonly readAuth: boolean;
  /** The request's `If-None-Match`: a fragment that has not changed is answered 304 without a body. */
  readonly ifNoneMatch?: string | undefined;
}

export interface UiResponse {
  readonly status: number;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The security headers of every page response, for a script and a style carrying `nonce`. */
export function securityHeaders(nonce: string): Record<string, string> {
  return {
    'Content-Security-Policy': [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      `style-src 'nonce-${nonce}'`,
      "connect-src 'self'",
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
  };
}

function mainContents(req: Exclude<UiRequest, { kind: 'redirect' }>, d: UiData): Markup {
  if (!d.status) return html`<p class="muted">Reading needs a token with the read scope: enter it above.</p>`;
  return req.kind === 'overview' ? overview(d.status, d.health, d.now) : certificatePage(req.name, d.status, d.now);
}

function page(req: Exclude<UiRequest, { kind: 'redirect' }>, d: UiData, o: UiOptions, nonce: string): Markup {
  const title = req.kind === 'overview' ? 'marathon-acme status' : `${req.name} · marathon-acme`;
  const self = req.kind === 'overview' ? '/ui/' : `/ui/cert/${req.name}`;
  const failing = d.status ? attention(d.status, d.now).failing.length : 0;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><link rel="icon" href="data:,">
<title>${failing > 0 ? `(${failing} failing) ` : ''}${title}</title><style nonce="${nonce}">${raw(STYLE)}</style></head>
<body data-title="${title}" data-fragment="${`${self}?fragment=main`}" data-api="${o.api ? 'on' : 'off'}" data-read-auth="${o.readAuth ? 'on' : 'off'}">
<header><h1><a href="/ui/">marathon-acme</a>${req.kind === 'certificate' ? html` · ${req.name}` : ''}</h1>
<p class="muted"><span>${d.status?.version ? `version ${d.status.version}` : ''}</span> · <span id="updated" aria-live="polite">rendered by the server</span></p></header>
<div id="tools">${req.kind === 'overview' ? html`<div><label for="search">Search by name or app id</label><input id="search" type="search" autocomplete="off" placeholder="web.example.com or /team/app"> <small id="shown" aria-live="polite"></small></div>` : ''}
<details id="token-box"><summary>Operator token</summary><form id="token-form" method="post" action="#"><label for="token">Token (kept in this tab only)</label>
<input id="token" type="password" autocomplete="off"> <button type="submit">Use token</button> <button type="button" id="token-forget">Forget token</button></form></details></div>
<div id="note" role="status" aria-live="polite"></div>
<main id="main">${mainContents(req, d)}</main>
<script nonce="${nonce}">${raw(SCRIPT)}</script></body></html>`;
}

/** The last fragments rendered, by page: a poll of unchanged data costs a `JSON.stringify`, not a render. */
const memo = new Map<string, { readonly key: string; readonly body: string; readonly etag: string }>();
const MEMO_PAGES = 32;
/** ETags: this process's random id and a count of renders, so no two different fragments share one. */
const BOOT = randomBytes(6).toString('base64url');
let renders = 0;

/**
 * The `<main>` contents and their ETag. The fragment depends only on the data and on which certificates
 * are past their renewal point (times are rendered absolute), so that is the cache key.
 */
function fragment(req: Exclude<UiRequest, { kind: 'redirect' }>, d: UiData): { body: string; etag: string } {
  const page = req.kind === 'overview' ? '' : req.name;
  const due = d.status ? attention(d.status, d.now).due.map((c) => c.name) : [];
  const key = JSON.stringify([d.status, d.health, due]);
  const hit = memo.get(page);
  if (hit?.key === key) return hit;
  const body = mainContents(req, d).text;
  const etag = `"${BOOT}-${++renders}"`;
  memo.delete(page);
  if (memo.size >= MEMO_PAGES) memo.delete(memo.keys().next().value!);
  memo.set(page, { key, body, etag });
  return { body, etag };
}

/** The answer to a page request. `nonce` is for tests; each response gets a fresh random one otherwise. */
export function renderUi(
  req: UiRequest,
  d: UiData,
  o: UiOptions,
  nonce = randomBytes(18).toString('base64'),
): UiResponse {
  if (req.kind === 'redirect')
    return { status: 302, contentType: 'text/plain', headers: { Location: req.location }, body: 'Found\n' };
  const notFound =
    req.kind === 'certificate' && d.status && !(d.status.certificates ?? []).some((c) => c.name === req.name);
  const status = notFound ? 404 : 200;
  if (req.fragment) {
    const { body, etag } = fragment(req, d);
    const headers = { ...securityHeaders(nonce), ETag: etag };
    if (o.ifNoneMatch === etag) return { status: 304, contentType: 'text/html; charset=utf-8', headers, body: '' };
    return { status, contentType: 'text/html; charset=utf-8', headers, body };
  }
  return {
    status,
    contentType: 'text/html; charset=utf-8',
    headers: securityHeaders(nonce),
    body: page(req, d, o, nonce).text,
  };
}
