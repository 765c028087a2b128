/**
 * The project logger: pino, with constant messages and variables in fields.
 *
 * Contract:
 * - messages are constant strings ("certificate written"), variables go in fields
 *   (`domain`, `app_id`, `order`, `attempt`, `retry_in`, `err`);
 * - one child logger per component: `logger.child({ component: 'acme' })`;
 * - secrets never reach a log line: keys, tokens, passwords and Authorization headers are redacted
 *   by path below, and callers must not put them in fields in the first place.
 */
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import { Writable } from 'node:stream';

export type Logger = PinoLogger;
export type LogFormat = 'text' | 'json';
/** 0.6.1's levels plus `trace`; `critical` maps to pino's `fatal`. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'critical'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const REDACT = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'password',
  '*.password',
  'token',
  '*.token',
  'hmacKey',
  '*.hmacKey',
  'eabHmacKey',
  '*.eabHmacKey',
  'privateKey',
  '*.privateKey',
  'keyPem',
  '*.keyPem',
  'keyAuthorization',
  '*.keyAuthorization',
];

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where lines go; defaults to stdout. Tests pass an in-memory stream. */
  destination?: DestinationStream | NodeJS.WritableStream;
}

/** Build the root logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level === 'critical' ? 'fatal' : (options.level ?? 'info');
  const out = options.destination ?? process.stdout;
  const dest = options.format === 'text' ? textStream(out as NodeJS.WritableStream) : out;
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: serializeErr },
    },
    dest as DestinationStream,
  );
}

/**
 * The `err` field: an Error becomes `{ message, code?, type?, detail?, status?, cause? }` — the ACME
 * problem fields when present (an `AcmeError`), the cause's message — with no stack: failures here are
 * expected events, not crashes; a stack is added only for errors without a code, which are bugs.
 * Anything else (a string, an already-described `{ code, message }`) is logged as it is.
 */
export function serializeErr(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const e = err as Error & { code?: unknown; type?: unknown; detail?: unknown; status?: unknown };
  const out: Record<string, unknown> = { message: e.message };
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
  else out.stack = e.stack;
  for (const k of ['type', 'detail', 'status'] as const) {
    const v = e[k];
    if (typeof v === 'string' || typeof v === 'number') out[k] = v;
  }
  if (e.cause instanceof Error) out.cause = e.cause.message;
  return out;
}

/** A logger that drops everything (tests, benchmarks). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Renders pino's JSON lines as `time LEVEL [component] message key=value ...` for terminals. */
function textStream(out: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.length > 0) out.write(`${formatTextLine(line)}\n`);
      }
      cb();
    },
  });
}

/** Exported for tests. */
export function formatTextLine(jsonLine: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const { time, level, msg, component, ...rest } = rec;
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
    .join(' ');
  const comp = component ? ` [${String(component)}]` : '';
  return `${String(time)} ${String(level).toUpperCase().padEnd(5)}${comp} ${String(msg ?? '')}${fields ? ` ${fields}` : ''}`;
}
