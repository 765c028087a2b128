/**
 * `--acme URL[,URL...]` and the per-CA environment: the CAs in order of preference, each with its own
 * EAB, profile, extra trusted CA file and preferred chain. Settings by 0-based position come from
 * `MARATHON_ACME_ACME_<i>_EAB_KID`, `_EAB_HMAC_KEY`, `_PROFILE`, `_CA_CERT`, `_PREFERRED_CHAIN`; the
 * single-CA flags (`--eab-kid`, `--eab-hmac-key`, `--profile`, `--preferred-chain`) keep meaning CA 0
 * and win over `MARATHON_ACME_ACME_0_*`; `--acme-ca-cert` only adds a trust anchor, so it is trusted for
 * every CA, besides each CA's own `_CA_CERT`. Every bad value is a `UsageError` naming the
 * flag or the variable: a variable for a CA that is not in the list, an unknown setting, half an EAB,
 * an unreadable file, a URL given twice. Secrets are never echoed.
 */
import { readFileSync } from 'node:fs';
import { type CaConfig, DEFAULTS, upgradeAcmeUrl } from '../config/config.js';
import { UsageError } from './usage-error.js';
import { type FlagValues, list } from './values.js';

/** The per-CA settings, by the suffix of their variable. */
const SETTINGS = ['EAB_KID', 'EAB_HMAC_KEY', 'PROFILE', 'CA_CERT', 'PREFERRED_CHAIN'] as const;
type Setting = (typeof SETTINGS)[number];
/** `MARATHON_ACME_ACME_<i>_<SETTING>`. */
const PER_CA = /^MARATHON_ACME_ACME_([0-9]+)_([A-Z_]+)$/;

/** The name of CA `i`'s variable for `setting`. */
export function caEnvName(i: number, setting: Setting): string {
  return `MARATHON_ACME_ACME_${i}_${setting}`;
}

/** What CA 0 takes from the single-CA flags (already checked by the caller). */
export interface FirstCaFlags {
  readonly eab?: { readonly kid: string; readonly hmacKey: string };
  readonly profile?: string;
  readonly preferredChain?: string;
}

/**
 * The configured CAs, in order of preference (never empty). `warnings` gets a line for each ACME v1
 * URL mapped to its v2 equivalent.
 */
export function parseCas(v: FlagValues, env: NodeJS.ProcessEnv, first: FirstCaFlags, warnings: string[]): CaConfig[] {
  const raw = v.str('acme');
  const entries = raw === undefined ? [undefined] : list(raw);
  if (entries.length === 0) throw new UsageError(`${v.label('acme')}: no ACME directory given`);
  const urls = entries.map((entry) => {
    const up = upgradeAcmeUrl(entry ?? DEFAULTS.acme);
    if (up.upgraded)
      warnings.push(
        `ACME v1 directory mapped to its v2 equivalent ${up.url}: Let's Encrypt switched ACME v1 off in 2021`,
      );
    return v.acmeUrl('acme', up.url);
  });
  const seen = new Set<string>();
  for (const url of urls) {
    if (seen.has(url)) throw new UsageError(`${v.label('acme')}: the same ACME directory is given twice`);
    seen.add(url);
  }
  checkVariables(env, urls.length);
  return urls.map((url, i) => caAt(url, i, env, i === 0 ? first : {}));
}

/** Every per-CA variable names a configured CA and a known setting. */
function checkVariables(env: NodeJS.ProcessEnv, count: number): void {
  for (const name of Object.keys(env).sort()) {
    const m = PER_CA.exec(name);
    if (!m || env[name] === undefined) continue;
    const i = Number(m[1]);
    if (!(SETTINGS as readonly string[]).includes(m[2]!))
      throw new UsageError(
        `environment variable ${name}: unknown per-CA setting '${m[2]}' (one of ${SETTINGS.join(', ')})`,
      );
    if (!(i < count))
      throw new UsageError(`environment variable ${name}: there is no CA ${i} in --acme (${count} given, from 0)`);
  }
}

/** CA `i`'s settings: the flags' for CA 0 when given, else its variables. */
function caAt(url: string, i: number, env: NodeJS.ProcessEnv, flags: FirstCaFlags): CaConfig {
  const text = (s: Setting): string | undefined => {
    const value = env[caEnvName(i, s)]?.trim();
    return value ? value : undefined;
  };
  const kid = text('EAB_KID');
  const key = text('EAB_HMAC_KEY');
  if (key !== undefined && (!/^[A-Za-z0-9_-]+={0,2}$/.test(key) || key.replace(/=+$/, '').length % 4 === 1))
    throw new UsageError(
      `environment variable ${caEnvName(i, 'EAB_HMAC_KEY')}: not base64url (A-Z, a-z, 0-9, '-', '_'); the value is not shown`,
    );
  if ((kid === undefined) !== (key === undefined))
    throw new UsageError(
      `environment variables ${caEnvName(i, 'EAB_KID')} and ${caEnvName(i, 'EAB_HMAC_KEY')} must be given together`,
    );
  // `--acme-ca-cert` is trusted for every CA (composition adds it); this is CA i's own extra CA.
  const caCert = readable(text('CA_CERT'), caEnvName(i, 'CA_CERT'));
  const eab = flags.eab ?? (kid !== undefined && key !== undefined ? { kid, hmacKey: key } : undefined);
  const profile = flags.profile ?? text('PROFILE');
  const preferredChain = flags.preferredChain ?? text('PREFERRED_CHAIN');
  return {
    url,
    ...(eab ? { eab } : {}),
    ...(profile ? { profile } : {}),
    ...(preferredChain ? { preferredChain } : {}),
    ...(caCert ? { caCert } : {}),
  };
}

/** A file that must be readable now (a typo fails at start, not at the first order). */
function readable(file: string | undefined, variable: string): string | undefined {
  if (file === undefined) return undefined;
  try {
    readFileSync(file);
  } catch (err) {
    throw new UsageError(
      `environment variable ${variable}: cannot read '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return file;
}
