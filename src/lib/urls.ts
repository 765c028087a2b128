/**
 * Credentials in URLs (`http://user:pass@host`): the one place that turns them into an Authorization
 * header and the one place that hides them from logs.
 */

/** The URL without userinfo, and a Basic Authorization header if it had credentials. Does not mutate. */
export function splitUserinfo(url: URL): { readonly url: URL; readonly authorization?: string } {
  if (url.username === '' && url.password === '') return { url: new URL(url) };
  const user = safeDecode(url.username);
  const pass = safeDecode(url.password);
  const bare = new URL(url);
  bare.username = '';
  bare.password = '';
  return { url: bare, authorization: `Basic ${Buffer.from(`${user}:${pass}`, 'utf8').toString('base64')}` };
}

/**
 * A URL string safe to log: userinfo replaced by `***`. Parsed with the URL parser when possible (so a
 * password containing `@` or `/` is hidden whole); an unparsable string loses everything between `//`
 * and its LAST `@` — over-redacting is safe, under-redacting is not.
 */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.username === '' && u.password === '') return raw;
    u.username = '***';
    u.password = '';
    return u.toString();
  } catch {
    return raw.replace(/\/\/.*@/, '//***@');
  }
}

/**
 * `splitUserinfo` for a URL string: the URL without userinfo (the string itself when it has none),
 * the Basic header if it had credentials, and its origin — only the URL when it does not parse.
 */
export function splitUrlString(raw: string): { url: string; authorization?: string; origin?: string } {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return { url: raw };
  }
  const { url, authorization } = splitUserinfo(parsed);
  const bare = authorization === undefined ? raw : url.href;
  return { url: bare, origin: url.origin, ...(authorization !== undefined ? { authorization } : {}) };
}

/** The origin of a URL string (scheme, host, port), or undefined when it does not parse. */
export function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
