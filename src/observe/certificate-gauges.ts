/**
 * The four per-certificate gauge families (label `domain`), built for thousands of certificates
 * scraped every few seconds: `update()` takes the whole current set, compares it with the last one and
 * keeps only the numbers, and a family whose values changed (or lost a certificate) is rendered again
 * in one pass at the next `text()`. So a scrape costs a diff of numbers, and a family's text is
 * rebuilt only after a change.
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

/** The four values of one certificate, in FIELDS order; NaN where the series is left out. */
type Row = Float64Array;

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
          const v = row[field]!;
          if (!Number.isNaN(v)) this.set({ domain }, v);
        }
      },
    });
    this.header = `# HELP ${config.name} ${config.help}\n# TYPE ${config.name} gauge`;
  }

  /**
   * The family in Prometheus text format, as prom-client renders it (no trailing newline). Rendered in
   * one pass from the numbers after a change, then served from the cache: no per-series strings are
   * kept (they were most of the memory the families held).
   */
  text(): string {
    if (this.cached === undefined) {
      let out = this.header;
      const prefix = `\n${this.name}{domain="`;
      for (const [domain, row] of this.rows) {
        const v = row[this.field]!;
        if (!Number.isNaN(v)) out += `${prefix}${escapeLabel(domain)}"} ${v}`;
      }
      this.cached = out;
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
  return /[\\\n"]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : value;
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
    for (const [domain, series] of current) {
      seen.add(domain);
      let row = this.rows.get(domain);
      if (!row) {
        row = new Float64Array(FIELDS.length).fill(Number.NaN);
        this.rows.set(domain, row);
      }
      for (let i = 0; i < FIELDS.length; i++) {
        const v = series[FIELDS[i]!] ?? Number.NaN;
        if (Object.is(v, row[i])) continue;
        families[i]!.changed();
        row[i] = v;
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
