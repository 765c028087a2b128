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
  // Hostile or oversized input from Marathon (skipped, reported, everything else proceeds)
  LABEL_TOO_LARGE: 'a MARATHON_ACME_* label value over 64 KiB; the label is skipped unread',
  APP_TOO_LARGE: 'a Marathon app definition over the size limit (4 MiB); the app is skipped unparsed',
  SSE_EVENT_TOO_LARGE: 'an event-stream event over the size limit (data lines without an end); it reconnects',
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
