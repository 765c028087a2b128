/**
 * What `marathon-acme status` prints, as pure functions of the API's JSON (docs/api.md): a table of every
 * certificate, failing ones first, or one certificate's causal chain and history in the manner of
 * `cmctl status certificate` (certificate → renewal → order attempts → last problem → removal).
 */

/** A certificate as GET /api/v1/certificates[/{name}] answers (only the fields shown). */
export interface ShownCertificate {
  readonly name: string;
  readonly names: readonly string[];
  readonly state: string;
  readonly not_before?: string | null;
  readonly not_after?: string | null;
  readonly renew_at?: string | null;
  readonly renew_reason?: string | null;
  readonly serial?: string | null;
  readonly issuer?: string | null;
  readonly issuer_dn?: string | null;
  readonly key_type?: string | null;
  readonly requested_by?: readonly { source: string; app_id?: string; port_index?: number }[];
  readonly last_error?: { code?: string; type?: string | null; detail: string; at: string } | null;
  readonly next_attempt?: string | null;
  readonly removal_at?: string | null;
  readonly failures?: number;
  readonly job?: string | null;
  readonly history?: readonly ({ id: number; type: string; at: string } & Record<string, unknown>)[];
}

/** States that make `status NAME` exit non-zero. */
export const FAILING_STATES = new Set(['failing', 'expired']);

const ORDER = ['failing', 'expired', 'removal-held', 'renewing', 'pending', 'unwanted', 'valid'];

/** The table: NAME, STATE, NOT AFTER, RENEW AT, NEXT ATTEMPT, LAST ERROR; failing first. */
export function renderTable(certs: readonly ShownCertificate[]): string {
  if (certs.length === 0) return 'No certificates.\n';
  const sorted = [...certs].sort(
    (a, b) => ORDER.indexOf(a.state) - ORDER.indexOf(b.state) || a.name.localeCompare(b.name),
  );
  const rows = [
    ['NAME', 'STATE', 'NOT AFTER', 'RENEW AT', 'NEXT ATTEMPT', 'LAST ERROR'],
    ...sorted.map((c) => [
      c.name,
      c.state,
      short(c.not_after),
      short(c.renew_at),
      short(c.next_attempt),
      c.last_error
        ? oneLine(`${problemType(c.last_error.type) ?? c.last_error.code}: ${c.last_error.detail}`, 60)
        : '-',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return (
    rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n') +
    '\n'
  );
}

/** One certificate's chain and history. */
export function renderCertificate(c: ShownCertificate): string {
  const out: string[] = [`Name: ${c.name}`, `Names: ${c.names.join(', ')}`, `State: ${c.state}`];
  out.push(`Requested by: ${(c.requested_by ?? []).map(requester).join(', ') || '-'}`);
  out.push('Certificate:');
  if (c.serial) {
    out.push(`  Serial: ${c.serial}`, `  Key type: ${c.key_type ?? '-'}`);
    out.push(`  Issuer: ${c.issuer ?? '(CA not recorded)'}${c.issuer_dn ? ` (${c.issuer_dn})` : ''}`);
    out.push(`  Not before: ${c.not_before ?? '-'}`, `  Not after: ${c.not_after ?? '-'}`);
  } else out.push('  none installed yet');
  out.push(`Renewal: ${c.renew_at ? `${c.renew_at} (${c.renew_reason ?? 'scheduled'})` : '-'}`);
  if (c.job) out.push(`Current work: ${c.job}`);
  out.push(`Failures in a row: ${c.failures ?? 0}`);
  if (c.last_error) {
    out.push('Last problem:');
    if (c.last_error.type) out.push(`  Type: ${c.last_error.type}`);
    out.push(`  Detail: ${c.last_error.detail}`, `  At: ${c.last_error.at}`);
  }
  if (c.next_attempt) out.push(`Next attempt: ${c.next_attempt}`);
  if (c.removal_at) out.push(`Removal at: ${c.removal_at}`);
  out.push('History:');
  const history = c.history ?? [];
  if (history.length === 0) out.push('  (none recorded)');
  for (const e of history) out.push(`  ${e.at}  ${e.type.padEnd(19)} ${eventFacts(e)}`.trimEnd());
  return `${out.join('\n')}\n`;
}

/** The facts of one event worth a line: its reason, detail, serial, order URL, outcome. */
export function eventFacts(e: Record<string, unknown>): string {
  const keys = [
    'kind',
    'reason',
    'why',
    'by',
    'serial',
    'order_url',
    'identifier',
    'targets',
    'ok',
    'problem_type',
    'detail',
    'next_attempt',
    'renew_at',
    'remove_at',
  ];
  return keys
    .filter((k) => e[k] !== undefined)
    .map((k) => `${k}=${oneLine(String(e[k]), 120)}`)
    .join(' ');
}

function requester(r: { source: string; app_id?: string; port_index?: number }): string {
  return r.source === 'marathon' ? `${r.app_id ?? '?'} port ${r.port_index ?? 0}` : r.source;
}

function problemType(t: string | null | undefined): string | undefined {
  return t ? t.replace(/^urn:ietf:params:acme:error:/, '') : undefined;
}

function short(t: string | null | undefined): string {
  return t ? t.replace(/:\d\d(\.\d+)?Z$/, 'Z') : '-';
}

function oneLine(s: string, max: number): string {
  const flat = s.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
