/**
 * What a Marathon response must be before its body is read: exactly 200 and the expected media type.
 * Failures are typed `AppError`s (MARATHON_HTTP_STATUS, MARATHON_BAD_CONTENT_TYPE); the response is
 * drained.
 */
import type { IncomingMessage } from 'node:http';
import { AppError } from '../../lib/errors.js';

function statusError(res: IncomingMessage, url: string): AppError {
  const status = res.statusCode ?? 0;
  const kind = status >= 500 ? 'Server Error' : status >= 400 ? 'Client Error' : 'Unexpected status';
  return new AppError('MARATHON_HTTP_STATUS', `${status} ${kind} for url: ${url}`, { details: { url, status } });
}

/**
 * Exactly 200 (0.6.1 rejected even 202 on the stream), and the expected media type, parameters
 * ignored; a repeated header counts by its LAST value (0.6.1 `get_single_header`).
 */
export function checkResponse(res: IncomingMessage, url: string, expected: string): void {
  if (res.statusCode !== 200) {
    res.resume();
    throw statusError(res, url);
  }
  const ct = lastHeader(res, 'content-type');
  if (ct === undefined) {
    res.resume();
    throw new AppError(
      'MARATHON_BAD_CONTENT_TYPE',
      `Expected header "Content-Type" to be "${expected}" but header not found in response`,
      { details: { url } },
    );
  }
  const media = ct.split(';')[0]!.trim().toLowerCase();
  if (media !== expected) {
    res.resume();
    throw new AppError(
      'MARATHON_BAD_CONTENT_TYPE',
      `Expected header "Content-Type" to be "${expected}" but found "${ct}" instead`,
      { details: { url } },
    );
  }
}

/** The last raw value of a header (Node keeps only the first Content-Type in `headers`). */
function lastHeader(res: IncomingMessage, name: string): string | undefined {
  let value: string | undefined;
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) value = raw[i + 1];
  return value;
}
