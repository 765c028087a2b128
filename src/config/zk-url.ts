/**
 * `--zk zk://[user:pass@]host:port[,host:port...]/path`: Marathon's own `--zk` syntax. `user:pass@` is
 * ZooKeeper digest auth (percent-decoded); a server without a port is on 2181; IPv6 literals go in
 * brackets. The path is a ZooKeeper path (absolute, no empty, `.` or `..` segments, not the root).
 *
 * Contract: `parseZkUrl` is total over strings: it returns the parts or throws an Error whose message
 * never contains the password; `describeZk` is the log-safe form (no credentials).
 */

export interface ZkTarget {
  readonly servers: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  /** The base path, without a trailing slash (e.g. `/marathon-acme`). */
  readonly path: string;
  readonly auth?: { readonly user: string; readonly password: string };
}

const SERVER = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?$/;
const SEGMENT = /^[^\u0000-\u001f\u007f/]+$/;

export function parseZkUrl(value: string): ZkTarget {
  const m = /^zk:\/\/([^/]*)(\/.*)?$/i.exec(value.trim());
  if (!m) throw new Error('expected zk://[user:pass@]host:port[,host:port...]/path');
  let hosts = m[1]!;
  let auth: ZkTarget['auth'];
  const at = hosts.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = hosts.slice(0, at);
    hosts = hosts.slice(at + 1);
    const colon = userinfo.indexOf(':');
    if (colon <= 0) throw new Error('credentials must be user:password');
    try {
      auth = {
        user: decodeURIComponent(userinfo.slice(0, colon)),
        password: decodeURIComponent(userinfo.slice(colon + 1)),
      };
    } catch {
      throw new Error('credentials are not valid percent-encoding');
    }
  }
  const servers = hosts.split(',').map((s) => parseServer(s.trim()));
  const path = (m[2] ?? '').replace(/\/+$/, '');
  if (path === '') throw new Error('a path is required after the servers (e.g. /marathon-acme)');
  const segments = path.slice(1).split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..' || !SEGMENT.test(s)))
    throw new Error(`'${path}' is not a valid ZooKeeper path`);
  return auth ? { servers, path, auth } : { servers, path };
}

function parseServer(s: string): { host: string; port: number } {
  const m = SERVER.exec(s);
  if (!m) throw new Error(`'${s}' is not host:port`);
  const port = m[3] === undefined ? 2181 : Number(m[3]);
  if (!(port >= 1 && port <= 65535)) throw new Error(`'${m[3]}' is not a valid port number`);
  return { host: m[1] ?? m[2]!, port };
}

/** `zk://host:port,.../path`, without credentials (for logs and /status). */
export function describeZk(t: ZkTarget): string {
  const hosts = t.servers.map((s) => (s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`));
  return `zk://${hosts.join(',')}${t.path}`;
}
