/**
 * The page's inline style and script: constant text, sent with a per-response nonce under a strict
 * Content-Security-Policy (index.ts). No external assets: the page works inside an offline cluster.
 *
 * The script never turns network data into markup: it swaps in `<main>` fragments the server rendered
 * (and escaped), and writes history entries and messages with `textContent` only. The operator token
 * lives in `sessionStorage` (this tab only) and travels only in the `Authorization` header.
 */
import type { LifecycleEventType } from '../../domain/events.js';

/** Every lifecycle event type (the SSE stream names its events after them); checked complete by the compiler. */
const EVENT_TYPE_SET: Record<LifecycleEventType, true> = {
  requested: true,
  ordered: true,
  finalized: true,
  renew_requested: true,
  challenge_presented: true,
  challenge_validated: true,
  challenge_failed: true,
  installed: true,
  delivered: true,
  renewal_scheduled: true,
  backoff: true,
  removal_scheduled: true,
  removal_cancelled: true,
  removal_held: true,
  removed: true,
  revoked: true,
};
export const EVENT_TYPES = Object.keys(EVENT_TYPE_SET) as LifecycleEventType[];

/** How often the page re-reads its data when no event arrives (ms). */
export const POLL_MS = 5000;

export const STYLE = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bad:#b42318;--bad-bg:#fdecea;
--warn:#8a5a00;--warn-bg:#fff4d6;--ok:#1a7f37;--card:#f6f8fa;--focus:#0969da}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9da7b3;--line:#30363d;--bad:#ff7b72;
--bad-bg:#3b1219;--warn:#e3b341;--warn-bg:#3a2a05;--ok:#3fb950;--card:#161b22;--focus:#58a6ff}}
*{box-sizing:border-box}
html{font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
@media (min-width:1800px){html{font-size:20px}}
@media (min-width:2400px){html{font-size:24px}}
@media (min-width:3400px){html{font-size:32px}}
body{margin:0;padding:.75rem;overflow-wrap:anywhere}
header,main,#tools{max-width:120rem;margin:0 auto}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:baseline;justify-content:space-between}
h1{font-size:1.35rem;margin:.25rem 0}h2{font-size:1.15rem;margin:1.25rem 0 .5rem;border-bottom:1px solid var(--line)}
h3{font-size:1rem;margin:.75rem 0 .4rem}
a{color:var(--focus)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.muted,small{color:var(--muted)}
.cards{list-style:none;padding:0;margin:0;display:grid;gap:.6rem;grid-template-columns:repeat(auto-fill,minmax(min(100%,24rem),1fr))}
.card{border:1px solid var(--line);border-left:6px solid var(--line);border-radius:6px;padding:.6rem .75rem;background:var(--card);min-width:0}
.card.bad{border-left-color:var(--bad)}.card.warn{border-left-color:var(--warn)}
.detail{white-space:pre-wrap;margin:.35rem 0;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}
.badge{display:inline-block;border-radius:999px;padding:0 .5rem;font-size:.85em;border:1px solid var(--line)}
.badge.failing,.badge.expired{background:var(--bad-bg);color:var(--bad);border-color:var(--bad)}
.badge.held,.badge.unwanted,.badge.pending,.badge.renewing{background:var(--warn-bg);color:var(--warn);border-color:var(--warn)}
.badge.valid{color:var(--ok);border-color:var(--ok)}
.calm{color:var(--ok)}
dl.kv{display:grid;grid-template-columns:minmax(6rem,max-content) 1fr;gap:.2rem .75rem;margin:.4rem 0}
dl.kv dt{color:var(--muted)}dl.kv dd{margin:0;min-width:0}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted)}
@media (max-width:700px){table,thead,tbody,tr,th,td{display:block}thead{position:absolute;left:-9999px}
tr{border:1px solid var(--line);border-radius:6px;margin:.4rem 0;padding:.25rem}td{border:0;padding:.15rem .4rem}
td::before{content:attr(data-label) ": ";color:var(--muted)}caption{display:block;text-align:left}}
button,select,input{font:inherit;padding:.3rem .6rem;border-radius:6px;border:1px solid var(--line);background:var(--bg);color:var(--fg);max-width:100%}
button{cursor:pointer}button.danger{border-color:var(--bad);color:var(--bad)}
.actions{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin-top:.4rem}
#tools{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin-top:.5rem}
#tools label{margin-right:.3rem}
#search{width:min(100%,22rem)}
details{margin:.25rem 0}summary{cursor:pointer}
#note:empty{display:none}#note{margin:.5rem auto;max-width:120rem;padding:.4rem .6rem;border:1px solid var(--line);border-radius:6px}
ol.chain{padding-left:1.25rem}ol.chain li{margin:.2rem 0}
ol.history{padding-left:1.25rem;font-size:.95em}
`;

/** The client script; `@EVENTS@` and `@POLL@` are filled in once at load (constants, not network data). */
const SCRIPT_TEMPLATE = `(() => {
'use strict';
const KEY = 'marathon-acme-token';
const EVENTS = @EVENTS@;
const POLL_MS = @POLL@;
const body = document.body;
const main = document.getElementById('main');
const note = document.getElementById('note');
const updated = document.getElementById('updated');
const search = document.getElementById('search');
const tokenInput = document.getElementById('token');
const token = () => sessionStorage.getItem(KEY) || '';
const auth = () => (token() ? { Authorization: 'Bearer ' + token() } : {});
const say = (text) => { note.textContent = text; };
function times() {
  const now = Date.now();
  for (const t of main.querySelectorAll('time[datetime]')) {
    const at = Date.parse(t.getAttribute('datetime'));
    if (Number.isNaN(at)) continue;
    const d = at - now, a = Math.abs(d);
    const [ms, unit] = [[86400000, 'd'], [3600000, 'h'], [60000, 'min'], [1000, 's']].find(([u]) => a >= u) || [1000, 's'];
    const n = Math.round(a / ms);
    t.textContent = new Date(at).toLocaleString() + ' (' + (d >= 0 ? 'in ' + n + ' ' + unit : n + ' ' + unit + ' ago') + ')';
  }
}
function filter() {
  if (!search) return;
  const q = search.value.trim().toLowerCase();
  let shown = 0;
  const rows = main.querySelectorAll('[data-search]');
  for (const r of rows) { const hit = !q || r.dataset.search.includes(q); r.hidden = !hit; if (hit) shown++; }
  const count = document.getElementById('shown');
  if (count) count.textContent = q ? shown + ' of ' + rows.length + ' shown' : '';
}
async function history() {
  const list = main.querySelector('ol[data-history]');
  if (!list || body.dataset.api !== 'on') return;
  try {
    const res = await fetch(list.dataset.history, { headers: auth(), cache: 'no-store' });
    if (!res.ok) return;
    const doc = await res.json();
    const events = Array.isArray(doc.history) ? doc.history.slice().reverse() : [];
    list.replaceChildren(...events.map((e) => {
      const li = document.createElement('li');
      const { at, type, id, name, ...rest } = e || {};
      const facts = Object.entries(rest).map(([k, v]) => k + '=' + (typeof v === 'object' ? JSON.stringify(v) : String(v)));
      li.textContent = [at, type, facts.join(' ')].filter(Boolean).join('  ');
      return li;
    }));
    if (events.length === 0) list.replaceChildren(Object.assign(document.createElement('li'), { textContent: 'no events yet' }));
  } catch {}
}
let last = '', etag = '', busy = false, again = false;
async function refresh() {
  if (busy) { again = true; return; }
  busy = true;
  try {
    const res = await fetch(body.dataset.fragment, { headers: { ...auth(), ...(etag ? { 'If-None-Match': etag } : {}) }, cache: 'no-store' });
    if (res.status === 304) {
      times();
      updated.textContent = 'updated ' + new Date().toLocaleTimeString();
    } else if (res.ok) {
      etag = res.headers.get('ETag') || '';
      const text = await res.text();
      if (text !== last) {
        const focused = document.activeElement && main.contains(document.activeElement) ? document.activeElement.id : '';
        main.innerHTML = text;
        last = text;
        filter();
        history();
        const failing = Number(main.querySelector('[data-failing]')?.dataset.failing || 0);
        document.title = (failing > 0 ? '(' + failing + ' failing) ' : '') + body.dataset.title;
        if (focused) document.getElementById(focused)?.focus();
      }
      times();
      updated.textContent = 'updated ' + new Date().toLocaleTimeString();
    } else if (res.status === 401 || res.status === 403) {
      updated.textContent = 'reading needs a token with the read scope';
    }
  } catch { updated.textContent = 'daemon unreachable, retrying'; }
  finally { busy = false; if (again) { again = false; refresh(); } }
}
// Events come in bursts (a mass renewal): refresh at most every 2 s, and once after the last one.
let soon, lastAt = 0;
const refreshSoon = () => {
  clearTimeout(soon);
  soon = setTimeout(() => { lastAt = Date.now(); refresh(); }, Math.max(250, lastAt + 2000 - Date.now()));
};
function actionUrl(action, name) {
  if (action === 'release') return '/api/v1/removals/release';
  return '/api/v1/certificates/' + encodeURIComponent(name) + '/' + action;
}
async function act(button) {
  const { action, name } = button.dataset;
  const what = action + (name ? ' ' + name : '');
  if (!token()) {
    document.getElementById('token-box').open = true;
    tokenInput.focus();
    say(what + ': enter an operator token first (write scope; admin to revoke).');
    return;
  }
  if (action === 'revoke' && button.dataset.armed !== 'yes') {
    // Revocation cannot be undone: the first press arms the button, a second within 10 s revokes.
    button.dataset.armed = 'yes';
    const label = button.textContent;
    button.textContent = 'Press again to revoke';
    say(what + ': press the button again within 10 s to revoke at the CA (reason ' + (document.getElementById('reason')?.value || 'unspecified') + ').');
    setTimeout(() => { button.dataset.armed = ''; button.textContent = label; }, 10000);
    return;
  }
  const payload = action === 'revoke' ? { reason: document.getElementById('reason')?.value || 'unspecified' } : {};
  button.disabled = true;
  say(what + ': sending...');
  try {
    const res = await fetch(actionUrl(action, name), {
      method: 'POST',
      headers: { ...auth(), 'Content-Type': 'application/json' },
      body: JSON.stringify(payload),
    });
    let detail = '';
    try { const doc = await res.json(); detail = doc.error || doc.message || (doc.id !== undefined ? 'event ' + doc.id : ''); } catch {}
    say(what + (res.ok ? ': accepted' : ': refused') + ' (HTTP ' + res.status + ')' + (detail ? ': ' + detail : ''));
    refreshSoon();
  } catch { say(what + ': the daemon did not answer'); }
  finally { button.disabled = false; }
}
document.addEventListener('click', (e) => {
  const b = e.target instanceof Element ? e.target.closest('button[data-action]') : null;
  if (b) act(b);
});
document.getElementById('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const v = tokenInput.value.trim();
  tokenInput.value = '';
  if (v) { sessionStorage.setItem(KEY, v); say('Token kept for this tab only.'); refreshSoon(); }
});
document.getElementById('token-forget').addEventListener('click', () => { sessionStorage.removeItem(KEY); say('Token forgotten.'); });
if (search) search.addEventListener('input', filter);
last = main.innerHTML;
filter();
times();
history();
if (body.dataset.api === 'on' && body.dataset.readAuth !== 'on' && 'EventSource' in window) {
  const es = new EventSource('/api/v1/events');
  es.onmessage = refreshSoon;
  for (const t of EVENTS) es.addEventListener(t, refreshSoon);
}
if (body.dataset.readAuth === 'on') refresh();
// With the events stream, polling is only the fallback while it reconnects.
setInterval(() => { if (!document.hidden) refresh(); }, body.dataset.api === 'on' ? POLL_MS * 6 : POLL_MS);
document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
})();`;

export const SCRIPT = SCRIPT_TEMPLATE.replace('@EVENTS@', JSON.stringify(EVENT_TYPES)).replace(
  '@POLL@',
  String(POLL_MS),
);
