/**
 * The status page's renderers: model → HTML (pure; every network value escaped by `html`). `overview`
 * and `certificatePage` render the contents of `<main>`, which the page's script re-fetches to stay live;
 * `document` wraps them into the whole page.
 */
import { html, type Markup, raw } from './html.js';
import {
  attention,
  isDue,
  isFailing,
  lifetimeLeft,
  requesterText,
  searchText,
  type UiCertificate,
  type UiHealth,
  type UiProblem,
  type UiStatus,
} from './model.js';

/** Revocation reasons of RFC 5280 §5.3.1 an operator may give (ACME's `reason`). */
export const REVOKE_REASONS = [
  'unspecified',
  'keyCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
] as const;

/** The page of one certificate. */
export function certHref(name: string): string {
  return `/ui/cert/${encodeURIComponent(name)}`;
}

/** An ISO-8601 UTC time as `Date.toISOString` writes it (the daemon's only format). */
const ISO_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** A time: the ISO value for machines, a UTC text until the script writes local time and "in 4 min". */
function when(iso: string | undefined): Markup {
  if (!iso) return html`<span class="muted">—</span>`;
  return html`<time datetime="${iso}">${ISO_RE.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC` : iso}</time>`;
}

function badge(state: string | undefined): Markup {
  const s = state ?? 'unknown';
  return html`<span class="badge ${s}">${s}</span>`;
}

function apps(c: UiCertificate): Markup {
  const list = (c.requestedBy ?? []).map(requesterText);
  return list.length === 0 ? html`<span class="muted">nobody (unwanted)</span>` : html`${list.join(', ')}`;
}

function problemText(c: UiCertificate): Markup {
  const e = c.lastError;
  if (!e) return html``;
  return html`<p class="muted">${e.type ?? e.code ?? 'error'}${e.at ? html` at ${when(e.at)}` : ''}</p>
<p class="detail">${e.detail ?? ''}</p>${e.unpauseUrl ? html`<p>Paused by the CA: lift it at <a href="${safeUrl(e.unpauseUrl)}">${e.unpauseUrl}</a>, then send SIGHUP.</p>` : ''}`;
}

/** Only http(s) URLs become links; anything else (javascript:, data:) is shown, not linked. */
export function safeUrl(u: string): string {
  return /^https?:\/\//i.test(u) ? u : '#';
}

function renewButton(name: string): Markup {
  return html`<button type="button" id="renew-${name}" data-action="renew" data-name="${name}" aria-label="Renew ${name} now">Renew now</button>`;
}

function failingCard(c: UiCertificate): Markup {
  return html`<li class="card bad" data-cert="${c.name}">
<a href="${certHref(c.name)}"><strong>${c.name}</strong></a> ${badge(c.state)}
${problemText(c)}
<dl class="kv"><dt>Next attempt</dt><dd>${c.nextAttempt ? when(c.nextAttempt) : c.job ? c.job : 'when it is planned again'}</dd>
<dt>Failures</dt><dd>${c.failures ?? 0}</dd><dt>Requested by</dt><dd>${apps(c)}</dd>
<dt>Expires</dt><dd>${when(c.notAfter)}</dd></dl>
<div class="actions">${renewButton(c.name)}</div></li>`;
}

function dueCard(c: UiCertificate, now: number): Markup {
  const left = lifetimeLeft(c, now);
  return html`<li class="card warn" data-cert="${c.name}">
<a href="${certHref(c.name)}"><strong>${c.name}</strong></a> ${badge(c.state)}
<dl class="kv"><dt>Renewal point</dt><dd>${when(c.renewAt)}</dd><dt>Expires</dt><dd>${when(c.notAfter)}</dd>
${left !== undefined ? html`<dt>Lifetime left</dt><dd>${Math.round(left * 100)}%</dd>` : ''}
<dt>Now</dt><dd>${c.job ?? 'waiting for its renewal'}</dd></dl>
<div class="actions">${renewButton(c.name)}</div></li>`;
}

function problemsSection(groups: ReadonlyArray<readonly [string, readonly UiProblem[]]>): Markup {
  if (groups.length === 0) return html``;
  const item = (p: UiProblem): Markup =>
    html`<li><code>${p.code ?? ''}</code> ${p.label ? html`<code>${p.label}</code>` : ''}${p.value !== undefined ? html` = <code>${p.value}</code>` : ''}: ${p.reason ?? ''}</li>`;
  return html`<section id="problems" aria-labelledby="h-problems"><h3 id="h-problems">Label problems by app (${groups.length})</h3>
<ul class="cards">${groups.map(([app, list]) => html`<li class="card warn" data-app="${app}"><strong>${app}</strong><ul>${list.map(item)}</ul></li>`)}</ul></section>`;
}

function attentionSection(s: UiStatus, now: number): Markup {
  const a = attention(s, now);
  const gates = a.waitingGates.map(
    ([name, g]) =>
      html`<li class="card bad"><strong>Orders wait for the ${name}</strong> since ${when(g.since)}<p class="detail">${g.cause?.detail ?? ''}${g.probeError ? `\nlast probe: ${g.probeError}` : ''}</p></li>`,
  );
  const calm = a.failing.length + a.due.length + a.heldRemovals.length + a.problemsByApp.length + gates.length === 0;
  return html`<section id="attention" aria-labelledby="h-attention" data-failing="${a.failing.length}"><h2 id="h-attention">Needs attention</h2>
${calm ? html`<p class="calm">Nothing needs attention: no failing certificate, none past its renewal point, no held removal, no label problem.</p>` : ''}
${gates.length ? html`<ul class="cards" id="gates">${gates}</ul>` : ''}
${a.failing.length ? html`<section id="failing" aria-labelledby="h-failing"><h3 id="h-failing">Failing (${a.failing.length})</h3><ul class="cards">${a.failing.map(failingCard)}</ul></section>` : ''}
${a.due.length ? html`<section id="due" aria-labelledby="h-due"><h3 id="h-due">Past their renewal point (${a.due.length})</h3><ul class="cards">${a.due.map((c) => dueCard(c, now))}</ul></section>` : ''}
${
  a.heldRemovals.length
    ? html`<section id="held" aria-labelledby="h-held"><h3 id="h-held">Removals held by the mass-removal guard (${a.heldRemovals.length})</h3>
<ul>${a.heldRemovals.map((n) => html`<li><a href="${certHref(n)}">${n}</a></li>`)}</ul>
<div class="actions"><button type="button" id="release" class="danger" data-action="release">Release the held removals</button></div></section>`
    : ''
}
${problemsSection(a.problemsByApp)}
</section>`;
}

function certRow(c: UiCertificate, now: number): Markup {
  const flag = isFailing(c) ? (c.state === 'failing' ? '' : 'failing') : isDue(c, now) ? 'due for renewal' : '';
  return html`<tr data-search="${searchText(c)}" data-cert="${c.name}">
<td data-label="Certificate"><a href="${certHref(c.name)}">${c.name}</a>${(c.names?.length ?? 0) > 1 ? html`<br><small>${(c.names ?? []).join(', ')}</small>` : ''}</td>
<td data-label="State">${badge(c.state)}${flag ? html` <small>${flag}</small>` : ''}</td>
<td data-label="Expires">${when(c.notAfter)}</td><td data-label="Renewal">${when(c.renewAt)}</td>
<td data-label="Requested by">${apps(c)}</td></tr>`;
}

function allSection(s: UiStatus, now: number): Markup {
  const certs = s.certificates ?? [];
  return html`<section id="all" aria-labelledby="h-all"><h2 id="h-all">All certificates (${certs.length})</h2>
${
  certs.length === 0
    ? html`<p class="muted">No certificate yet.</p>`
    : html`<table><caption class="muted">Every managed certificate; filter with the search box.</caption><thead><tr><th scope="col">Certificate</th><th scope="col">State</th><th scope="col">Expires</th><th scope="col">Renewal</th><th scope="col">Requested by</th></tr></thead>
<tbody>${certs.map((c) => certRow(c, now))}</tbody></table>`
}</section>`;
}

function healthSection(h: UiHealth | undefined, s: UiStatus): Markup {
  const checks = Object.entries(h?.checks ?? {});
  return html`<section id="health" aria-labelledby="h-health"><h2 id="h-health">Health${h ? html`: ${h.status ?? (h.healthy ? 'ok' : 'unhealthy')}` : ''}</h2>
<dl class="kv">${checks.map(([name, c]) => html`<dt>${name}</dt><dd>${c.ok ? html`<span class="calm">ok</span>` : html`<strong>${c.starting ? 'starting' : 'failing'}</strong>`} <small>${c.detail}</small></dd>`)}
<dt>queue</dt><dd>${s.queue?.running ?? 0} running, ${s.queue?.queued ?? 0} queued</dd>
${Object.entries(s.gates ?? {}).map(([name, g]) => html`<dt>${name} gate</dt><dd>${g.state ?? ''}</dd>`)}</dl></section>`;
}

/** Any JSON value as a definition list (the cluster section's shape belongs to the HA feature). */
function anyValue(v: unknown, depth = 0): Markup {
  if (v === null || typeof v !== 'object' || depth > 4) return html`${typeof v === 'string' ? v : JSON.stringify(v)}`;
  const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
  return html`<dl class="kv">${entries.map(([k, x]) => html`<dt>${k}</dt><dd>${anyValue(x, depth + 1)}</dd>`)}</dl>`;
}

function clusterSection(s: UiStatus): Markup {
  if (s.cluster === undefined) return html``;
  return html`<section id="cluster" aria-labelledby="h-cluster"><h2 id="h-cluster">Cluster</h2>${anyValue(s.cluster)}</section>`;
}

/** The overview's `<main>` contents: attention first, then every certificate, health, the cluster. */
export function overview(s: UiStatus, h: UiHealth | undefined, now: number): Markup {
  return html`${attentionSection(s, now)}${allSection(s, now)}${healthSection(h, s)}${clusterSection(s)}`;
}

/**
 * The causal chain of one certificate, like `cmctl status certificate`: why it exists, what it is, what
 * is being done, what went wrong, what happens next.
 */
function chain(c: UiCertificate): Markup {
  const e = c.lastError;
  return html`<ol class="chain">
<li>Wanted by ${apps(c)} for ${(c.names ?? [c.name]).join(', ')}</li>
<li>Certificate: ${c.serial ? html`serial <code>${c.serial}</code>, ${c.issuer ?? ''}, expires ${when(c.notAfter)}` : 'none issued yet'}${c.ca ? html` (CA <code>${c.ca}</code>)` : ''}</li>
<li>Renewal: ${c.renewAt ? when(c.renewAt) : 'not scheduled'}${c.lastSuccess ? html`; last success ${when(c.lastSuccess)}` : ''}</li>
<li>Now: ${doingNow(c)}${c.deliveryPending ? '; delivery to the load balancers pending' : ''}${c.kept ? '; issued, waiting for the storage' : ''}</li>
${e ? html`<li>Last problem: <strong>${e.type ?? e.code ?? 'error'}</strong> after ${c.failures ?? 0} failure(s) ${when(e.at)}<p class="detail">${e.detail ?? ''}</p></li>` : ''}
${c.nextAttempt ? html`<li>Next attempt: ${when(c.nextAttempt)}</li>` : ''}
${c.removeAt ? html`<li>Unwanted since ${when(c.unwantedSince)}; removal ${when(c.removeAt)}</li>` : ''}
</ol>`;
}

/** What is happening to it right now, in words. */
function doingNow(c: UiCertificate): string {
  if (c.job) return c.job;
  if (c.nextAttempt) return 'backing off until the next attempt';
  if (c.state === 'valid') return 'nothing to do until its renewal';
  return c.state ?? 'unknown';
}

/** One certificate's `<main>` contents (or a not-found note): chain, facts, history, actions. */
export function certificatePage(name: string, s: UiStatus, now: number): Markup {
  const c = (s.certificates ?? []).find((x) => x.name === name);
  if (!c) return html`<p><a href="/ui/">← all certificates</a></p><h2>${name}</h2><p>No certificate of that name.</p>`;
  const reasons = REVOKE_REASONS.map((r) => html`<option value="${r}">${r}</option>`);
  return html`<p><a href="/ui/">← all certificates</a></p>
<h2 id="h-cert">${c.name} ${badge(c.state)}${isDue(c, now) && !isFailing(c) ? html` <small>past its renewal point</small>` : ''}</h2>
<section aria-labelledby="h-chain"><h3 id="h-chain">Causal chain</h3>${chain(c)}</section>
<section aria-labelledby="h-actions"><h3 id="h-actions">Actions</h3><div class="actions">${renewButton(c.name)}
<label for="reason">Revocation reason</label><select id="reason">${reasons}</select>
<button type="button" id="revoke-${c.name}" class="danger" data-action="revoke" data-name="${c.name}" aria-label="Revoke ${c.name} at the CA and order a replacement">Revoke</button></div></section>
<section aria-labelledby="h-history"><h3 id="h-history">History</h3>
<ol class="history" data-history="${`/api/v1/certificates/${encodeURIComponent(c.name)}`}"><li class="muted">${raw('The history comes from the operator API (<code>/api/v1/certificates/{name}</code>).')}</li></ol></section>`;
}
