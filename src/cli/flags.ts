/**
 * The flag table: every flag's name, short form, kind, metavar, help and shown default, in the order
 * of --help. Every 0.6.1 flag keeps its name, meaning and default (except the dead ACME v1 directory).
 * `cli/help.ts` renders it, `cli/parse.ts` reads it, `scripts/gen-flag-table.mjs` puts it in the docs.
 */
import { KEY_TYPES } from '../domain/types.js';
import { DEFAULTS } from '../config/config.js';

export type Kind = 'string' | 'boolean' | 'seconds' | 'int' | 'fraction';
export interface Option {
  readonly name: string;
  readonly short?: string;
  readonly kind: Kind;
  readonly metavar?: string;
  readonly help: string;
  readonly choices?: readonly string[];
  /** Shown in --help; the value itself is applied in `cli/parse.ts` (from `DEFAULTS`). */
  readonly default?: string | number;
  /** Secret values are never echoed (help, logs). */
  readonly secret?: boolean;
}

/** The option table: the order is the order of --help. */
export const OPTIONS: readonly Option[] = [
  {
    name: 'acme',
    short: 'a',
    kind: 'string',
    metavar: 'ACME[,ACME,...]',
    default: DEFAULTS.acme,
    help: 'The addresses of the ACME Directory Resources, in order of preference: an order a CA cannot fulfil for reasons another CA could fix (unreachable, 5xx, rate limit, account/EAB, CAA, rejected name) is tried at the next one. The first keeps client.key; the others get accounts/<host>-<hash>/client.key. Per-CA settings: MARATHON_ACME_ACME_<i>_{EAB_KID,EAB_HMAC_KEY,PROFILE,CA_CERT,PREFERRED_CHAIN} (0-based; the single-CA flags mean CA 0). An ACME v1 (acme-v01) URL is mapped to its v2 equivalent. See docs/cas.md',
  },
  {
    name: 'email',
    short: 'e',
    kind: 'string',
    metavar: 'EMAIL',
    help: 'An email address to register with the ACME service (optional)',
  },
  {
    name: 'marathon',
    short: 'm',
    kind: 'string',
    metavar: 'MARATHON[,MARATHON,...]',
    default: DEFAULTS.marathon,
    help: "The addresses for the Marathon HTTP API, tried in order. user:pass@ in a URL is sent as Basic auth. 'none' disables Marathon (static --domains only)",
  },
  {
    name: 'lb',
    short: 'l',
    kind: 'string',
    metavar: 'LB[,LB,...]',
    default: DEFAULTS.lb,
    help: "The addresses for the marathon-lb HTTP API, all signalled after changes. 'none' disables signalling",
  },
  {
    name: 'group',
    short: 'g',
    kind: 'string',
    metavar: 'GROUP',
    default: DEFAULTS.group,
    help: 'The marathon-lb group to issue certificates for',
  },
  {
    name: 'allow-multiple-certs',
    kind: 'boolean',
    help: 'Allow multiple certificates for a single app port. This allows multiple domains for an app, but is not recommended (see --san)',
  },
  {
    name: 'listen',
    kind: 'string',
    metavar: 'LISTEN',
    default: DEFAULTS.listen,
    help: 'The address for the port to listen on: [ipaddress]:port',
  },
  {
    name: 'marathon-timeout',
    kind: 'seconds',
    metavar: 'MARATHON_TIMEOUT',
    default: DEFAULTS.marathonTimeout,
    help: 'Amount of time in seconds to wait for HTTP response headers to be received for all requests to Marathon. Set to 0 to disable',
  },
  {
    name: 'sse-timeout',
    kind: 'seconds',
    metavar: 'SSE_TIMEOUT',
    default: DEFAULTS.sseTimeout,
    help: 'Amount of time in seconds to wait for some event data to be received from Marathon. Set to 0 to disable',
  },
  {
    name: 'log-level',
    kind: 'string',
    metavar: '{debug,info,warn,error,critical}',
    choices: ['debug', 'info', 'warn', 'error', 'critical', 'trace'],
    default: DEFAULTS.logLevel,
    help: 'The minimum severity level to log messages at',
  },
  {
    name: 'log-format',
    kind: 'string',
    metavar: '{text,json}',
    choices: ['text', 'json'],
    help: 'Log line format (default: text on a terminal, json otherwise)',
  },
  {
    name: 'domains',
    kind: 'string',
    metavar: 'CERTS',
    help: "Static certificates, besides Marathon's: ';' separates certificates, ',' or spaces separate the names of one certificate (first = file name), e.g. 'example.com,www.example.com;api.example.com'",
  },
  {
    name: 'san',
    kind: 'boolean',
    help: 'Make all names of one MARATHON_ACME_{n}_DOMAIN label one certificate with several names (SAN), instead of the first name only. A label MARATHON_ACME_{n}_SAN=true|false overrides it per port',
  },
  {
    name: 'allowed-domains',
    kind: 'string',
    metavar: 'SUFFIX[,SUFFIX,...]',
    help: 'Only names equal to or under these domains may be requested (multi-tenant clusters); others are rejected and reported. An entry that is not a domain name (a URL, a port) is a usage error',
  },
  {
    name: 'remove-after',
    kind: 'seconds',
    metavar: 'SECONDS',
    default: DEFAULTS.removeAfter,
    help: 'Grace period before a certificate no app wants any more is archived out of certs/',
  },
  {
    name: 'revoke-removed',
    kind: 'boolean',
    help: 'Revoke certificates when they are removed (reason: cessationOfOperation)',
  },
  {
    name: 'max-removal-fraction',
    kind: 'fraction',
    metavar: 'FRACTION',
    default: DEFAULTS.maxRemovalFraction,
    help: 'Hold removals (until released by an operator) when one plan would remove more than this fraction of managed certificates. 1 disables the guard',
  },
  {
    name: 'key-type',
    kind: 'string',
    metavar: `{${KEY_TYPES.join(',')}}`,
    choices: KEY_TYPES,
    default: DEFAULTS.keyType,
    help: 'Private key type of new certificates',
  },
  {
    name: 'profile',
    kind: 'string',
    metavar: 'PROFILE',
    help: "ACME certificate profile to request (e.g. Let's Encrypt 'tlsserver' for 45-day or 'shortlived' for 6-day certificates), if the CA offers it. For the first CA of --acme (the others: MARATHON_ACME_ACME_<i>_PROFILE)",
  },
  {
    name: 'preferred-chain',
    kind: 'string',
    metavar: 'ISSUER_CN',
    help: 'Prefer the alternate chain whose top certificate is issued by this common name. For the first CA of --acme (the others: MARATHON_ACME_ACME_<i>_PREFERRED_CHAIN)',
  },
  {
    name: 'eab-kid',
    kind: 'string',
    metavar: 'KID',
    help: 'External Account Binding key identifier (CAs that require EAB). For the first CA of --acme (the others: MARATHON_ACME_ACME_<i>_EAB_KID)',
  },
  {
    name: 'eab-hmac-key',
    kind: 'string',
    metavar: 'KEY',
    secret: true,
    help: 'External Account Binding HMAC key, base64url (prefer the environment variable MARATHON_ACME_EAB_HMAC_KEY). For the first CA of --acme (the others: MARATHON_ACME_ACME_<i>_EAB_HMAC_KEY)',
  },
  {
    name: 'max-concurrent-orders',
    kind: 'int',
    metavar: 'N',
    default: DEFAULTS.maxConcurrentOrders,
    help: 'Certificate orders running at the same time',
  },
  {
    name: 'resync-interval',
    kind: 'seconds',
    metavar: 'SECONDS',
    default: DEFAULTS.resyncInterval,
    help: 'Re-read all Marathon apps at least this often, events or not',
  },
  {
    name: 'order-budget',
    kind: 'int',
    metavar: 'N',
    default: DEFAULTS.orderBudget,
    help: "New orders allowed per account per 3 hours, ARI renewals exempt (Let's Encrypt allows 300); excess work waits instead of being refused. 0 disables the budget",
  },
  {
    name: 'backoff-min',
    kind: 'seconds',
    metavar: 'SECONDS',
    default: DEFAULTS.backoffMin,
    help: "First retry delay after a failed order; it doubles per failure (with jitter), up to --backoff-max. The CA's Retry-After always wins when longer",
  },
  {
    name: 'backoff-max',
    kind: 'seconds',
    metavar: 'SECONDS',
    default: DEFAULTS.backoffMax,
    help: 'Longest retry delay after failed orders',
  },
  {
    name: 'acme-ca-cert',
    kind: 'string',
    metavar: 'FILE',
    help: 'PEM file of a CA to trust for the ACME server (a private CA, Pebble); NODE_EXTRA_CA_CERTS works too. TLS verification is never disabled. Trusted for every CA of --acme; MARATHON_ACME_ACME_<i>_CA_CERT adds one for CA i only',
  },
  {
    name: 'marathon-token',
    kind: 'string',
    metavar: 'TOKEN',
    secret: true,
    help: 'DC/OS authentication token for Marathon, sent as "Authorization: token=..." (prefer MARATHON_ACME_MARATHON_TOKEN)',
  },
  {
    name: 'haproxy-socket',
    kind: 'string',
    metavar: 'PATH',
    help: 'HAProxy (>= 2.2) admin stats socket: update certificates over the runtime API, without a reload',
  },
  {
    name: 'haproxy-certs-dir',
    kind: 'string',
    metavar: 'PATH',
    help: "With --haproxy-socket: the certs directory as HAProxy names it in its 'crt' line, when HAProxy mounts the storage at another path (default: <storage-dir>/certs)",
  },
  {
    name: 'haproxy-master-socket',
    kind: 'string',
    metavar: 'PATH',
    help: 'HAProxy master CLI socket (haproxy -W -S PATH): with --haproxy-socket, reload through it when the runtime API refuses a change',
  },
  {
    name: 'notify-command',
    kind: 'string',
    metavar: 'COMMAND',
    help: 'Command run after each batch of certificate changes, split on spaces, run without a shell; changed names are in MARATHON_ACME_WRITTEN / MARATHON_ACME_REMOVED',
  },
  {
    name: 'storage-group',
    kind: 'int',
    metavar: 'GID',
    help: 'Group id given to written files and directories, so an HAProxy running as another user can read them (files 0640, directories 0750)',
  },
  {
    name: 'api-tokens-file',
    kind: 'string',
    metavar: 'FILE',
    help: "API tokens, one per line: '<name> <scope>[,<scope>...] <sha256-hex of the token>' (scopes read, write, admin, sync); create one with 'marathon-acme token create NAME SCOPES'. Without it every state-changing endpoint answers 403",
  },
  {
    name: 'api-read-auth',
    kind: 'boolean',
    help: 'Require a token with the read scope for the read endpoints too (/status and GET /api/v1/...)',
  },
  {
    name: 'max-connections',
    kind: 'int',
    metavar: 'N',
    default: DEFAULTS.maxConnections,
    help: 'Open connections to --listen beyond this are closed at once; idle and slow connections time out. Keep the open-file limit (ulimit -n) above it: a warning at start says when it is not',
  },
  {
    name: 'dns-provider',
    kind: 'string',
    metavar: '{rfc2136,exec,acme-dns}',
    choices: ['rfc2136', 'exec', 'acme-dns'],
    help: "Turn DNS-01 on with this provider (wildcards, --dns-zones, MARATHON_ACME_{n}_CHALLENGE=dns-01). Its settings use lego's environment variables: RFC2136_*, EXEC_*, ACME_DNS_* (see docs/dns-01.md)",
  },
  {
    name: 'dns-zones',
    kind: 'string',
    metavar: 'SUFFIX[,SUFFIX...]',
    help: 'With --dns-provider: names equal to or under these domains use DNS-01 (wildcards always do); the rest HTTP-01',
  },
  {
    name: 'dns-resolvers',
    kind: 'string',
    metavar: 'HOST[:PORT][,...]',
    help: "With --dns-provider: ask these servers for SOA/NS/CNAME and check propagation against them, instead of the zone's authoritative nameservers",
  },
  {
    name: 'dns-no-cname-follow',
    kind: 'boolean',
    help: 'With --dns-provider: write _acme-challenge.<name> itself, without following its CNAME (delegation)',
  },
  {
    name: 'zk',
    kind: 'string',
    metavar: 'zk://[user:pass@]host:port[,host:port...]/path',
    secret: true,
    help: "High availability: run any number of instances with the same flags and storage; they elect one leader in this ZooKeeper ensemble and path (Marathon's --zk syntax; user:pass@ is digest auth). Only the leader talks to the CA and writes; every instance answers HTTP-01. Without it: one instance",
  },
  {
    name: 'zk-session-timeout',
    kind: 'seconds',
    metavar: 'SECONDS',
    default: DEFAULTS.zkSessionTimeout,
    help: 'With --zk: the ZooKeeper session timeout. A leader that dies is replaced within about this long; a leader not heard from by ZooKeeper within half of it stops acting',
  },
  {
    name: 'instance-id',
    kind: 'string',
    metavar: 'ID',
    default: '<hostname>:<listen port>',
    help: "This instance's name in the logs, /status and metrics (with --zk)",
  },
  {
    name: 'sync-listen',
    kind: 'string',
    metavar: 'ADDR',
    help: "Serve the bundle feed for 'marathon-acme agent' (HTTPS, tokens with the sync scope) on [ipaddress]:port. Never on --listen: the feed carries private keys",
  },
  {
    name: 'sync-tls-cert',
    kind: 'string',
    metavar: 'FILE',
    help: 'PEM certificate (chain) of the feed; without it and --sync-tls-key, a self-signed one created once in the storage directory (sync-tls.pem), its SHA-256 fingerprint logged and in /status',
  },
  {
    name: 'sync-tls-key',
    kind: 'string',
    metavar: 'FILE',
    help: 'PEM private key for --sync-tls-cert',
  },
  { name: 'version', kind: 'boolean', help: "show program's version number and exit" },
  { name: 'help', short: 'h', kind: 'boolean', help: 'show this help message and exit' },
];
