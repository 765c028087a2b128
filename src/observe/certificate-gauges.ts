/**
 * The four per-certificate gauge families (label `domain`), built for thousands of certificates
 * scraped every few seconds: `update()` takes the whole current set, compares it with the last one and
 * re-renders only the series whose value changed (and drops those of certificates that are gone);
 * `text()` serves the family's text, joined again only after a change. So a scrape costs a diff of
 * numbers, not the rebuilding of every series.
 *
 * Contract: each family is also a prom-client `Gauge` on the registry (names, help and type as
 * `Registry.metrics()` and `getMetricsAsJSON()` show them, filled by its `collect` from the same
 * rows), and `text()` renders exactly what prom-client would for it.
 */
import { Gauge, type Registry } from 'prom-client';

/** The values of one certificate; `undefined` leaves the series out (no installed leaf, no renewal planned). */
export interface CertificateSeries {
  readonly expiry?: number | undefined;
  readonly renewal?: number | undefined;
  readonly failures: number;
  readonly backoffUntil: number;
}

const FIELDS = ['expiry', 'renewal', 'failures', 'backoffUntil'] as const;

interface Row {
  readonly values: Array<number | undefined>;
  readonly lines: Array<string | undefined>;
}

/** One family: a prom-client Gauge for the registry's slow path, plus the cached rendering. */
export class CertificateFamily extends Gauge<'domain'> {
  /** Set by prom-client's constructor (its typings leave it out). */
  declare readonly name: string;
  private readonly header: string;
  /** The rendered family; undefined after a change. */
  private cached: string | undefined;

  constructor(
    config: { name: string; help: string; registers: Registry[] },
    private readonly rows: ReadonlyMap<string, Row>,
    private readonly field: number,
  ) {
    super({
      ...config,
      labelNames: ['domain'],
      collect() {
        // Only for Registry.metrics()/getMetricsAsJSON() (tests, tools); the daemon serves text().
        this.reset();
        for (const [domain, row] of rows) {
          const v = row.values[field];
          if (v !== undefined) this.set({ domain }, v);
        }
      },
    });
    this.header = `# HELP ${config.name} ${config.help}\n# TYPE ${config.name} gauge`;
  }

  /** The family in Prometheus text format, as prom-client renders it (no trailing newline). */
  text(): string {
    if (this.cached === undefined) {
      const out = [this.header];
      for (const row of this.rows.values()) {
        const line = row.lines[this.field];
        if (line !== undefined) out.push(line);
      }
      this.cached = out.join('\n');
    }
    return this.cached;
  }

  /** A line of this family changed, appeared or went. */
  changed(): void {
    this.cached = undefined;
  }
}

/** Same escaping as prom-client's label values. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export class CertificateGauges {
  private readonly rows = new Map<string, Row>();
  readonly expiry: CertificateFamily;
  readonly renewal: CertificateFamily;
  readonly failures: CertificateFamily;
  readonly backoffUntil: CertificateFamily;

  constructor(registers: Registry[]) {
    const family = (name: string, help: string, field: number) =>
      new CertificateFamily({ name, help, registers }, this.rows, field);
    this.expiry = family(
      'marathon_acme_certificate_expiry_timestamp_seconds',
      'notAfter of the installed leaf certificate',
      0,
    );
    this.renewal = family(
      'marathon_acme_certificate_renewal_timestamp_seconds',
      'Planned renewal time of the certificate',
      1,
    );
    this.failures = family(
      'marathon_acme_certificate_consecutive_failures',
      'Consecutive failed attempts for the certificate (0 = healthy)',
      2,
    );
    this.backoffUntil = family(
      'marathon_acme_certificate_backoff_until_timestamp_seconds',
      'No attempt before this time (0 = not backing off)',
      3,
    );
  }

  /** Replace the whole set: certificates absent from `current` lose their series. */
  update(current: Iterable<readonly [domain: string, series: CertificateSeries]>): void {
    const seen = new Set<string>();
    const families = this.families;
    const names = families.map((f) => f.name);
    for (const [domain, series] of current) {
      seen.add(domain);
      let row = this.rows.get(domain);
      if (!row) {
        row = { values: [undefined, undefined, undefined, undefined], lines: [] };
        this.rows.set(domain, row);
      }
      for (let i = 0; i < FIELDS.length; i++) {
        const v = series[FIELDS[i]!];
        if (v === row.values[i]) continue;
        families[i]!.changed();
        row.values[i] = v;
        row.lines[i] = v === undefined ? undefined : `${names[i]}{domain="${escapeLabel(domain)}"} ${v}`;
      }
    }
    if (seen.size === this.rows.size) return;
    for (const domain of this.rows.keys()) if (!seen.has(domain)) this.rows.delete(domain);
    for (const f of families) f.changed();
  }

  get families(): readonly CertificateFamily[] {
    return [this.expiry, this.renewal, this.failures, this.backoffUntil];
  }
}
