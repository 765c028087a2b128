/**
 * A stand-in for acme-dns (https://github.com/joohoi/acme-dns) following its documented HTTP API:
 * `POST /register` → 201 `{ username, password, fulldomain, subdomain, allowfrom }`;
 * `POST /update` with `X-Api-User`/`X-Api-Key` and `{ subdomain, txt }` → 200 `{ txt }`, 401 for bad
 * credentials, 400 for a txt that is not 43 characters; keeps the last two values per subdomain, as
 * acme-dns does. Records every request for the tests.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';

export interface AcmeDnsStandin {
  readonly url: string;
  readonly requests: Array<{ path: string; headers: Record<string, string | undefined>; body: unknown }>;
  /** TXT values per subdomain (the last two). */
  readonly txt: Map<string, string[]>;
  /** Add an account as if registered earlier. */
  addAccount(a: { username: string; password: string; subdomain: string }): void;
  close(): Promise<void>;
}

export async function startAcmeDnsStandin(domain = 'auth.acme-dns.test'): Promise<AcmeDnsStandin> {
  const accounts = new Map<string, { password: string; subdomain: string }>();
  const txt = new Map<string, string[]>();
  const requests: AcmeDnsStandin['requests'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        body = undefined;
      }
      const headers = {
        'x-api-user': req.headers['x-api-user'] as string | undefined,
        'x-api-key': req.headers['x-api-key'] as string | undefined,
      };
      requests.push({ path: req.url ?? '', headers, body });
      const send = (status: number, payload: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (req.method === 'POST' && req.url === '/register') {
        const username = randomUUID();
        const password = randomUUID().replace(/-/g, '');
        const subdomain = randomUUID();
        accounts.set(username, { password, subdomain });
        return send(201, { username, password, fulldomain: `${subdomain}.${domain}`, subdomain, allowfrom: [] });
      }
      if (req.method === 'POST' && req.url === '/update') {
        const acc = accounts.get(headers['x-api-user'] ?? '');
        const b = body as { subdomain?: unknown; txt?: unknown } | undefined;
        if (!acc || acc.password !== headers['x-api-key'] || b?.subdomain !== acc.subdomain)
          return send(401, { error: 'forbidden' });
        if (typeof b.txt !== 'string' || b.txt.length !== 43) return send(400, { error: 'bad_txt' });
        txt.set(acc.subdomain, [...(txt.get(acc.subdomain) ?? []), b.txt].slice(-2));
        return send(200, { txt: b.txt });
      }
      send(404, { error: 'not found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    txt,
    addAccount: (a) => accounts.set(a.username, { password: a.password, subdomain: a.subdomain }),
    close: () => new Promise((r) => server.close(() => r())),
  };
}
