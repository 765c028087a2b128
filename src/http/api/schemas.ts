/**
 * JSON schemas of the operator API: they validate requests (fastify/ajv) and document the answers in the
 * OpenAPI document (`GET /api/v1/openapi.json`). Answers are sent as ready JSON, so a response schema never
 * filters a field away: what docs/api.md and these schemas list is what the routes send.
 */

export const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

/** A certificate's file name (the first name, as in certs/<name>.pem). */
export const NAME_PARAMS = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9._*-]+$' } },
} as const;

const STRING = { type: 'string' } as const;
const TIME = { type: 'string', format: 'date-time' } as const;
const NULLABLE_TIME = { type: ['string', 'null'], format: 'date-time' } as const;

export const ERROR = { type: 'object', properties: { error: STRING } } as const;

const PROBLEM = {
  type: 'object',
  description: 'The last failure: the ACME problem type and the CA (or network) detail',
  properties: {
    code: STRING,
    type: STRING,
    detail: STRING,
    subproblems: { type: 'array', items: { type: 'object', additionalProperties: true } },
    at: TIME,
  },
} as const;

export const CERTIFICATE_STATES = [
  'valid',
  'pending',
  'failing',
  'renewing',
  'expired',
  'unwanted',
  'removal-held',
] as const;
export type ApiCertificateState = (typeof CERTIFICATE_STATES)[number];

export const CERTIFICATE = {
  type: 'object',
  properties: {
    name: STRING,
    names: { type: 'array', items: STRING },
    state: { type: 'string', enum: [...CERTIFICATE_STATES] },
    not_before: NULLABLE_TIME,
    not_after: NULLABLE_TIME,
    renew_at: NULLABLE_TIME,
    renew_reason: { type: ['string', 'null'] },
    serial: { type: ['string', 'null'] },
    issuer: { type: ['string', 'null'], description: 'ACME directory URL of the CA' },
    key_type: { type: ['string', 'null'] },
    requested_by: { type: 'array', items: { type: 'object', additionalProperties: true } },
    last_error: { anyOf: [PROBLEM, { type: 'null' }] },
    next_attempt: NULLABLE_TIME,
    removal_at: NULLABLE_TIME,
    failures: { type: 'integer' },
    job: { type: ['string', 'null'] },
  },
} as const;

export const EVENT = {
  type: 'object',
  properties: { id: { type: 'integer' }, type: STRING, name: STRING, at: TIME },
  additionalProperties: true,
} as const;

export const CERTIFICATE_DETAIL = {
  type: 'object',
  properties: { ...CERTIFICATE.properties, history: { type: 'array', items: EVENT } },
} as const;

export const ACCEPTED = {
  type: 'object',
  properties: { event_id: { type: 'integer' }, name: STRING },
} as const;

export const RELEASED = { type: 'object', properties: { released: { type: 'array', items: STRING } } } as const;

export const REVOKE_BODY = {
  type: 'object',
  required: ['reason'],
  additionalProperties: false,
  properties: { reason: { type: 'string', enum: [...REVOCATION_REASONS] } },
} as const;

export const DOMAIN_BODY = {
  type: 'object',
  required: ['names'],
  additionalProperties: false,
  properties: {
    names: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 253 } },
  },
} as const;

export const DOMAIN = {
  type: 'object',
  properties: { name: STRING, names: { type: 'array', items: STRING }, requested_by: STRING },
} as const;
