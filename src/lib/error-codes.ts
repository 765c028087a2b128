/**
 * The one catalogue of error and problem codes an operator may see: in logs (`code`), metrics labels,
 * state records (`lastError.code`), `/status` and `/health`. Each code says what it means; the docs list
 * them from here (`docs/operations.md`, kept true by a test).
 *
 * Contract: codes are SCREAMING_SNAKE and never change meaning; a new code is added here first, and
 * `AppError` accepts no other (checked by the compiler).
 */
export const ERROR_CODES = {
  // Configuration and start-up
  CONFIG_INVALID: 'a flag or environment value is not usable (usage error, exit 2)',
  STORAGE_DIR_MISSING: 'the storage directory does not exist or is not a directory',
  STORAGE_NOT_WRITABLE: 'the storage directory cannot be written (ownership, mode, read-only mount, full disk)',
  STATE_CORRUPT: 'a state record under state/ is not valid JSON of the expected shape; it is rebuilt',

  // Names and labels (problems: the app or label is skipped, everything else proceeds)
  INVALID_NAME: 'a label or --domains value is not a valid DNS name',
  NAME_TOO_LONG: 'a name is longer than the 251 characters a certificate file name allows',
  WILDCARD_NOT_SUPPORTED: 'a wildcard name, which HTTP-01 cannot validate',
  IP_ADDRESS_NOT_SUPPORTED: 'an IP address, which the CA does not issue for',
  DOMAIN_NOT_ALLOWED: 'a name outside --allowed-domains',
  BAD_APP: 'a Marathon app entry of an unexpected shape (no id, no labels object, odd port fields)',
  BAD_LABEL: 'a MARATHON_ACME_* label with a value that is not usable',
  MULTIPLE_DOMAINS_IGNORED: 'several names on one port without --allow-multiple-certs; only the first is used',
  PORT_INDEX_OUT_OF_RANGE: 'MARATHON_ACME_{n}_DOMAIN for a port the app does not have',
  SAN_CONFLICT:
    'the same certificate file name is wanted with different name sets; the set with the fewest names keeps the file, the others are written under another of their names (or, if none is free, not ordered)',

  // Marathon
  MARATHON_UNREACHABLE: 'every Marathon URL failed; the last good snapshot stays in force',
  MARATHON_TRANSPORT: 'a connection to Marathon failed or closed mid-response',
  MARATHON_TIMEOUT: 'Marathon did not answer within --marathon-timeout',
  MARATHON_HTTP_STATUS: 'Marathon answered with an unexpected HTTP status',
  MARATHON_BAD_CONTENT_TYPE: 'Marathon answered with a content type other than the one asked for',
  MARATHON_BAD_RESPONSE: 'Marathon answered with a body that is not the expected JSON',
  MARATHON_REDIRECT: 'Marathon redirected in a way that is not followed (loop, other scheme)',
  SSE_TIMEOUT: 'the event stream was silent for longer than --sse-timeout; it reconnects',
  SSE_LINE_TOO_LONG: 'the event stream sent a line over the size limit; it reconnects',
  SSE_STREAM_ERROR: 'the event stream connection failed; it reconnects with backoff',
  SOURCE_RUNNING: 'a source was started twice (a bug)',

  // The CA (ACME)
  ACME_PROBLEM: 'the CA answered with an RFC 8555 problem document (see problem_type)',
  ACME_AUTHORIZATION_FAILED: 'the CA could not validate a challenge (see problem_type and detail)',
  ACME_ORDER_INVALID: 'the order ended invalid after finalization',
  ACME_NETWORK: 'a TCP, TLS or DNS failure talking to the CA',
  ACME_TIMEOUT: 'a CA request, or a whole order, exceeded its time budget',
  ACME_BAD_REQUEST: 'an order that cannot be made (e.g. no names)',
  ACME_BAD_RESPONSE: 'the CA answered with something that is not valid ACME',
  ACME_ACCOUNT_KEY: 'the account key (client.key) cannot be used',
  ACME_EAB_REQUIRED: 'the CA requires External Account Binding and none is configured',
  ACME_PROFILE_UNSUPPORTED: 'the requested --profile is not offered by the CA',
  ACME_NO_SOLVER: 'no configured solver handles any challenge the CA offered',
  ACME_INSECURE_URL: 'a plain-http ACME URL for a host that is not loopback',
  ACME_BAD_CERTIFICATE: 'a certificate given for revocation or ARI cannot be parsed',

  // Certificates and the store
  PEM_INVALID: 'a PEM block does not parse (truncated or corrupted file)',
  CERT_INVALID: 'a certificate does not parse',
  BUNDLE_INVALID: 'a bundle failed its check before install (see reason); the previous file stays',

  // Load balancers and hooks
  INVALID_LB_URL: 'a --lb URL that does not parse or is not http(s)',
  INVALID_COMMAND: 'an empty --notify-command',
  HAPROXY_CLI_FAILED: 'the HAProxy runtime API socket could not be reached or timed out',
  HAPROXY_RUNTIME_REFUSED: 'HAProxy refused a certificate change over its runtime API',

  // Hardening (issue 15)
  SAN_TOO_MANY_NAMES:
    'a SAN label names more names than the CA allows in one certificate (100; 25 with the tlsserver and shortlived profiles); it is not ordered',
  STORAGE_CHECK_FAILED:
    'the storage directory failed its writability check before an order; orders wait (not counted against any certificate) until it is writable again',
  CA_UNAVAILABLE:
    'the CA could not be reached (network, timeout, 5xx) or a shared step (account lookup) failed; orders wait on a cheap probe of its directory, not counted against any certificate',
  // DNS-01 (issue 12)
  DNS_UNREACHABLE:
    'a DNS server (RFC 2136 primary, an authoritative nameserver, a --dns-resolvers entry, acme-dns) did not answer; an outage, waited out, not counted against any certificate',
  DNS_BADSIG: 'the DNS server refused the TSIG signature (BADSIG): the RFC2136_TSIG_SECRET or algorithm is wrong',
  DNS_BADKEY: 'the DNS server does not know the TSIG key (BADKEY): RFC2136_TSIG_KEY is wrong',
  DNS_BADTIME:
    "the DNS server refused the TSIG time (BADTIME): this clock and the server's differ by more than the fudge",
  DNS_UPDATE_REFUSED:
    'the DNS server refused the dynamic update (REFUSED, NOTAUTH, NOTZONE, ...; see rcode): update-policy or zone',
  DNS_BAD_RESPONSE: 'a DNS answer that does not parse, does not match the question or fails its TSIG check',
  DNS_ZONE_NOT_FOUND: 'no zone (SOA) found above the _acme-challenge name',
  DNS_CNAME_LOOP: 'the CNAME chain of an _acme-challenge name loops or is longer than 8 links',
  DNS_PROPAGATION_TIMEOUT:
    "an authoritative nameserver (or --dns-resolvers entry) did not serve the TXT value within the provider's propagation timeout",
  DNS_PROVIDER_FAILED:
    'the DNS provider failed to present or clean up a record (exec: non-zero exit or timeout, its stderr in the error; acme-dns: HTTP error)',
  DNS_CNAME_REQUIRED:
    'acme-dns: a new account was registered for the name; create the CNAME in the error (_acme-challenge.<name> CNAME <fulldomain>), the next attempt proceeds',
  DNS_PROVIDER_CONFIG: 'a DNS provider setting (RFC2136_*, EXEC_*, ACME_DNS_*) is missing or not usable',
  // Hostile or oversized input from Marathon (skipped, reported, everything else proceeds)
  LABEL_TOO_LARGE: 'a MARATHON_ACME_* label value over 64 KiB; the label is skipped unread',
  APP_TOO_LARGE: 'a Marathon app definition over the size limit (4 MiB); the app is skipped unparsed',
  SSE_EVENT_TOO_LARGE: 'an event-stream event over the size limit (data lines without an end); it reconnects',
  // High availability on ZooKeeper (issue 10)
  ZK_UNAVAILABLE:
    'no ZooKeeper server answers, or the session was lost; the leader steps down, every instance keeps answering HTTP-01 for what it knows, and work resumes when ZooKeeper returns',
  ZK_ERROR:
    'ZooKeeper refused an operation (see zk_code: e.g. -102 no permission for the ACL, -115 digest auth failed)',
  ZK_INVALID_URL: 'a --zk value that is not zk://[user:pass@]host:port[,host:port...]/path',
  NOT_LEADER:
    'a CA request or a write was refused because this instance no longer provably leads (its ZooKeeper lease lapsed); the new leader does the work',
  // Agents and the sync feed (marathon-acme agent)
  SYNC_UNREACHABLE:
    'agent: no --server answered (connection, TLS handshake, timeout, 5xx, or the daemon first scan not done); the agent keeps every file and retries with backoff',
  SYNC_UNAUTHORIZED:
    'agent: the sync feed refused the token (401 unknown token, 403 no sync scope or no tokens configured); nothing is written',
  SYNC_PIN_MISMATCH:
    'agent: the server certificate does not match --server-fingerprint or does not verify against --server-ca; no token or request is sent to it',
  SYNC_BAD_ANSWER:
    'agent: the sync feed answered something of the wrong shape, or a bundle whose fingerprint or check failed; nothing of it is written',
  // Operator API (issue 11)
  API_DOMAINS_UNREADABLE:
    'api-domains.json (certificates added through the API) cannot be read; that source gives no snapshot, so nothing it declared is removed',
} as const;

/** A code of the catalogue. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** True when `code` is in the catalogue. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}
