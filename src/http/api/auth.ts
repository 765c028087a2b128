/**
 * Scoped bearer tokens on fastify routes: `requireScope(auth, scope)` is an `onRequest` hook answering 401
 * (missing or unknown token, with `WWW-Authenticate: Bearer`) or 403 (no such scope, or no tokens configured)
 * before the body is read. The token is never logged: only the token's name from the tokens file.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../lib/logger.js';
import { authorize, type Scope, type TokenEntry } from '../../lib/tokens.js';

export interface AuthConfig {
  readonly tokens: readonly TokenEntry[];
  readonly readAuth: boolean;
}

/** The name (from the tokens file) of the token each authorized request carried. */
const tokenNames = new WeakMap<FastifyRequest, string>();

/** Who asked: the token's name, or `anonymous` on an open read. */
export function tokenNameOf(req: FastifyRequest): string {
  return tokenNames.get(req) ?? 'anonymous';
}

export type AuthHook = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

export function requireScope(auth: AuthConfig, scope: Scope, log: Logger): AuthHook {
  return async (req, reply) => {
    const r = authorize(auth.tokens, req.headers.authorization, scope);
    const path = req.url.split('?')[0];
    if (r.ok) {
      tokenNames.set(req, r.name);
      log.info({ token: r.name, method: req.method, path, scope }, 'authorized request');
      return;
    }
    log.warn({ status: r.status, method: req.method, path, scope }, 'request refused');
    if (r.status === 401) reply.header('WWW-Authenticate', 'Bearer');
    const body = JSON.stringify({ error: r.message });
    await reply
      .code(r.status)
      .header('Content-Type', 'application/json')
      .header('Cache-Control', 'no-store')
      .header('Content-Length', Buffer.byteLength(body))
      .send(body);
  };
}

/** The hook for reads: none unless `--api-read-auth`. */
export function readHooks(auth: AuthConfig, log: Logger): AuthHook[] {
  return auth.readAuth ? [requireScope(auth, 'read', log)] : [];
}
