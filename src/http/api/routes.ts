/**
 * The operator API under /api/v1 (docs/api.md). Reads are open unless `--api-read-auth`; every state-changing
 * route needs a token with its scope: `write` (renew, domains, release), `admin` (revoke). Requests are
 * validated by the JSON schemas of `schemas.ts`; the same schemas make the OpenAPI 3 document at
 * `GET /api/v1/openapi.json` (@fastify/swagger), which a test keeps true to the routes.
 */
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../lib/logger.js';
import { VERSION_INFO } from './version-info.js';
import { type AuthConfig, type AuthHook, readHooks, requireScope, tokenNameOf } from './auth.js';
import {
  ACCEPTED,
  CERTIFICATE,
  CERTIFICATE_DETAIL,
  DOMAIN,
  DOMAIN_BODY,
  ERROR,
  NAME_PARAMS,
  RELEASED,
  REVOKE_BODY,
  type RevocationReason,
} from './schemas.js';
import { type EventFeed, serveEvents } from './sse.js';

/** An action's outcome: a value, or the HTTP status and the reason it was refused. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | Refusal;
export interface Refusal {
  readonly ok: false;
  readonly status: 400 | 403 | 404 | 409 | 502 | 503;
  readonly error: string;
}

/** What the API reads and does; built by the composition root from the reconciler, the journal and the bus. */
export interface ApiHandlers {
  certificates(): readonly object[];
  /** One certificate with its `history`, or undefined (404). */
  certificate(name: string): Promise<object | undefined>;
  problems(): readonly object[];
  /** Renew now (backoff ignored); the id of the event that records the request. */
  renew(name: string, by: string): Promise<Outcome<Accepted>>;
  /** Revoke at the CA, then order a replacement. */
  revoke(name: string, reason: RevocationReason, by: string): Promise<Outcome<Accepted>>;
  putDomain(name: string, names: readonly string[], by: string): Promise<Outcome<{ created: boolean; value: object }>>;
  deleteDomain(name: string, by: string): Promise<Outcome<object>>;
  releaseRemovals(): string[];
  readonly events: EventFeed;
}

/** An accepted action: the id of the event that records it (see the events stream and the history). */
export interface Accepted {
  readonly event_id: number;
  readonly name: string;
}

type NameReq = { Params: { name: string } };
const tags = ['certificates'];

/** Register @fastify/swagger and every /api/v1 route on `app`. */
export async function registerApi(
  app: FastifyInstance,
  api: ApiHandlers,
  auth: AuthConfig,
  log: Logger,
  closing: AbortSignal,
): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: VERSION_INFO,
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  registerReads(app, api, readHooks(auth, log), closing);
  registerActions(app, api, requireScope(auth, 'write', log), requireScope(auth, 'admin', log));
}

const security = [{ bearer: [] }];
const reply4xx = { 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR };

/** The reads: open, or behind `read` with --api-read-auth. */
function registerReads(app: FastifyInstance, api: ApiHandlers, read: AuthHook[], closing: AbortSignal): void {
  app.get('/api/v1/openapi.json', { onRequest: read, schema: { hide: true } }, async (_req, reply) =>
    reply.header('Cache-Control', 'no-store').type('application/json').send(JSON.stringify(app.swagger())),
  );
  app.get(
    '/api/v1/certificates',
    { onRequest: read, schema: { tags, response: { 200: { type: 'array', items: CERTIFICATE } } } },
    async (_req, reply) => sendJson(reply, 200, api.certificates()),
  );
  app.get<NameReq>(
    '/api/v1/certificates/:name',
    { onRequest: read, schema: { tags, params: NAME_PARAMS, response: { 200: CERTIFICATE_DETAIL, ...reply4xx } } },
    async (req, reply) => {
      const c = await api.certificate(req.params.name);
      return c ? sendJson(reply, 200, c) : sendJson(reply, 404, { error: `no certificate named '${req.params.name}'` });
    },
  );
  const anyObject = { type: 'object', additionalProperties: true };
  app.get(
    '/api/v1/problems',
    { onRequest: read, schema: { tags: ['problems'], response: { 200: { type: 'array', items: anyObject } } } },
    async (_req, reply) => sendJson(reply, 200, api.problems()),
  );
  app.get(
    '/api/v1/events',
    {
      onRequest: read,
      schema: {
        tags: ['events'],
        description: 'Server-Sent Events: one `event: <type>` with `id:` and a JSON `data:` line per lifecycle event',
        response: { 200: { description: 'text/event-stream', type: 'string' } },
      },
    },
    async (req, reply) => serveEvents(req, reply, api.events, closing),
  );
}

/** The actions: `write` (renew, domains, release) and `admin` (revoke). */
function registerActions(app: FastifyInstance, api: ApiHandlers, write: AuthHook, admin: AuthHook): void {
  app.post<NameReq>(
    '/api/v1/certificates/:name/renew',
    { onRequest: write, schema: { tags, security, params: NAME_PARAMS, response: { 202: ACCEPTED, ...reply4xx } } },
    async (req, reply) => answer(reply, 202, await api.renew(req.params.name, tokenNameOf(req))),
  );
  app.post<NameReq & { Body: { reason: RevocationReason } }>(
    '/api/v1/certificates/:name/revoke',
    {
      onRequest: admin,
      schema: { tags, security, params: NAME_PARAMS, body: REVOKE_BODY, response: { 202: ACCEPTED, ...reply4xx } },
    },
    async (req, reply) => answer(reply, 202, await api.revoke(req.params.name, req.body.reason, tokenNameOf(req))),
  );
  const domainSchema = { tags: ['domains'], security, params: NAME_PARAMS };
  app.put<NameReq & { Body: { names: string[] } }>(
    '/api/v1/domains/:name',
    {
      onRequest: write,
      schema: { ...domainSchema, body: DOMAIN_BODY, response: { 200: DOMAIN, 201: DOMAIN, ...reply4xx } },
    },
    async (req, reply) => {
      const r = await api.putDomain(req.params.name, req.body.names, tokenNameOf(req));
      return r.ok ? sendJson(reply, r.value.created ? 201 : 200, r.value.value) : answer(reply, 200, r);
    },
  );
  app.delete<NameReq>(
    '/api/v1/domains/:name',
    { onRequest: write, schema: { ...domainSchema, response: { 200: DOMAIN, ...reply4xx } } },
    async (req, reply) => answer(reply, 200, await api.deleteDomain(req.params.name, tokenNameOf(req))),
  );
  app.post(
    '/api/v1/removals/release',
    { onRequest: write, schema: { tags: ['removals'], security, response: { 200: RELEASED, 401: ERROR, 403: ERROR } } },
    async (_req, reply) => sendJson(reply, 200, { released: api.releaseRemovals() }),
  );
}

function sendJson(reply: import('fastify').FastifyReply, status: number, value: unknown) {
  const body = JSON.stringify(value);
  return reply.code(status).header('Content-Type', 'application/json').header('Cache-Control', 'no-store').send(body);
}

function answer<T>(reply: import('fastify').FastifyReply, status: number, r: Outcome<T>) {
  return r.ok ? sendJson(reply, status, r.value) : sendJson(reply, r.status, { error: r.error });
}
