/**
 * SSE parser, covering 0.6.1's test_sse_protocol.py (reference/marathon-acme-behaviour.md §9.6).
 * Every stream is fed whole, byte by byte, and in many random chunkings; the result must not change.
 * (The transport cases — timeout, disconnecting, connection lost — live in the source's integration
 * tests, where a real connection exists.)
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SseEventTooLargeError, SseLineTooLongError, SseParser } from '../../../../src/sources/marathon/sse.js';
import { seededRandom } from '../../../support/random.js';

type Ev = [string, string];

function parseChunks(chunks: Buffer[], max?: number): Ev[] {
  const out: Ev[] = [];
  const p = new SseParser((t, d) => out.push([t, d]), max === undefined ? {} : { maxLineLength: max });
  for (const c of chunks) p.feed(c);
  return out;
}

const rng = seededRandom;

/** Whole, byte by byte, and 50 random chunkings must all give `want`. */
function check(name: string, input: string | Buffer, want: Ev[]): void {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  assert.deepEqual(parseChunks([bytes]), want, `${name} (whole)`);
  const single = [...bytes].map((b) => Buffer.from([b]));
  assert.deepEqual(parseChunks(single), want, `${name} (byte by byte)`);
  const r = rng(bytes.length + 7);
  for (let k = 0; k < 50; k++) {
    const chunks: Buffer[] = [];
    let i = 0;
    while (i < bytes.length) {
      const n = 1 + Math.floor(r() * 6);
      chunks.push(bytes.subarray(i, i + n));
      i += n;
    }
    assert.deepEqual(parseChunks(chunks), want, `${name} (random chunking ${k})`);
  }
}

describe('SSE parser: test_sse_protocol.py cases', () => {
  const cases: Array<[string, string, Ev[]]> = [
    ['test_default_event', 'data:hello\r\n\r\n', [['message', 'hello']]],
    ['test_multiline_data', 'data:hello\r\ndata:world\r\n\r\n', [['message', 'hello\nworld']]],
    ['test_different_newlines (LF)', 'data:hello\n\n', [['message', 'hello']]],
    ['test_different_newlines (CR)', 'data:hello\r\r', [['message', 'hello']]],
    ['test_different_newlines (mixed)', 'data:a\rdata:b\ndata:c\r\n\n', [['message', 'a\nb\nc']]],
    ['test_empty_data', 'data:\r\n\r\n', [['message', '']]],
    ['test_no_data', 'event:x\r\n\r\n', []],
    ['test_space_before_value', 'data: hello\r\n\r\n', [['message', 'hello']]],
    ['test_space_before_value_strip_only_first_space', 'data:    hello\r\n\r\n', [['message', '   hello']]],
    ['test_custom_event', 'event:my_event\r\ndata:hello\r\n\r\n', [['my_event', 'hello']]],
    [
      'test_multiple_events',
      'event:test1\r\ndata:hello\r\n\r\nevent:test2\r\ndata:world\r\n\r\n',
      [
        ['test1', 'hello'],
        ['test2', 'world'],
      ],
    ],
    ['test_id_ignored', 'id:123\r\ndata:hello\r\n\r\n', [['message', 'hello']]],
    ['test_retry_ignored', 'retry:123\r\ndata:hello\r\n\r\n', [['message', 'hello']]],
    ['test_unknown_field_ignored', 'somefield:foo\r\ndata:hello\r\n\r\n', [['message', 'hello']]],
    ['test_leading_colon_ignored', ':hello\r\ndata:world\r\n\r\n', [['message', 'world']]],
    ['test_missing_colon', 'data\r\n\r\n', [['message', '']]],
    ['test_trim_only_last_newline', 'data\r\ndata\r\ndata\r\n\r\n', [['message', '\n\n']]],
    [
      'test_multiple_data_parts (reassembled across chunks)',
      'data:hello world, this is a long line\r\n\r\n',
      [['message', 'hello world, this is a long line']],
    ],
    ['test_unicode_data', 'data:hëlló\r\n\r\n', [['message', 'hëlló']]],
    [
      'test_multiple_events_resets_the_event_type',
      'event:x\r\ndata:1\r\n\r\ndata:2\r\n\r\n',
      [
        ['x', '1'],
        ['message', '2'],
      ],
    ],
    [
      'data line before the event line (test_get_events_multiple_events)',
      'data:{}\r\nevent:test\r\n\r\n',
      [['test', '{}']],
    ],
    ['an empty event field means message', 'event:\r\ndata:a\r\n\r\n', [['message', 'a']]],
    ['a blank line resets a pending type', 'event:x\r\n\r\ndata:a\r\n\r\n', [['message', 'a']]],
    ['data pending at the end is not dispatched', 'data:a\r\n', []],
    ['field name is case-sensitive', 'Data:a\r\n\r\n', []],
    ['colon inside the value', 'data: a: b\r\n\r\n', [['message', 'a: b']]],
    ['leading BOM skipped', '\ufeffdata:a\n\n', [['message', 'a']]],
    ['a BOM later is data', 'data:\ufeffa\n\n', [['message', '\ufeffa']]],
  ];
  for (const [name, input, want] of cases) test(name, () => check(name, input, want));
});

test('SSE parser: Marathon framing with Jetty keep-alives and 4-byte UTF-8', () => {
  const attached =
    '{"remoteAddress":"127.0.0.1","eventType":"event_stream_attached","timestamp":"2026-01-01T00:00:00.000Z"}';
  const post =
    '{"eventType":"api_post_event","uri":"/v2/apps/é-😀","appDefinition":{"labels":{"MARATHON_ACME_0_DOMAIN":"bücher.de"}}}';
  const stream = `\r\n\r\nevent: event_stream_attached\r\ndata: ${attached}\r\n\r\n\r\n\r\n\r\nevent: api_post_event\r\ndata: ${post}\r\n\r\n\r\n`;
  check('marathon stream', stream, [
    ['event_stream_attached', attached],
    ['api_post_event', post],
  ]);
});

test('SSE parser: a CRLF split across chunks is one line end (HTML spec)', () => {
  assert.deepEqual(parseChunks([Buffer.from('data:a\r'), Buffer.from('\ndata:b\r\n\r\n')]), [['message', 'a\nb']]);
  // Keep-alive written by Jetty as "\r" flush "\n": harmless however it is split.
  assert.deepEqual(
    parseChunks([Buffer.from('\r'), Buffer.from('\n'), Buffer.from('data:x\r\n\r'), Buffer.from('\n')]),
    [['message', 'x']],
  );
});

test('SSE parser: line length limit', () => {
  // test_line_too_long: a complete line over the maximum.
  assert.throws(
    () => parseChunks([Buffer.from('data:12345\r\n')], 8),
    (e: unknown) => e instanceof SseLineTooLongError && e.length === 10 && e.max === 8,
  );
  // test_incomplete_line_too_long: 9 bytes without a newline.
  assert.throws(() => parseChunks([Buffer.from('123456789')], 8), SseLineTooLongError);
  // ... also when the partial line grows over several chunks.
  assert.throws(
    () => parseChunks([Buffer.from('1234'), Buffer.from('5678'), Buffer.from('9')], 8),
    SseLineTooLongError,
  );
  // At the limit is fine; line ends do not count.
  assert.deepEqual(parseChunks([Buffer.from('data:123\r\n\r\n')], 8), [['message', '123']]);
  assert.equal(new SseLineTooLongError(9, 8).code, 'SSE_LINE_TOO_LONG');
  assert.equal(new SseLineTooLongError(9, 8).message, 'SSE maximum line length exceeded: 9 > 8');
});

test('SSE parser: event size limit (data lines that never end an event)', () => {
  const parser = (max: number): SseParser => new SseParser(() => undefined, { maxEventBytes: max });
  // Three 5-byte data lines are 15 bytes of event data: over 12.
  const p = parser(12);
  assert.throws(
    () => p.feed('data:a\ndata:b\ndata:c\n'),
    (e: unknown) => e instanceof SseEventTooLargeError && e.length === 18 && e.max === 12,
  );
  // A blank line starts a new event: the same lines in two events are fine.
  const events: string[] = [];
  const q = new SseParser((_t, d) => events.push(d), { maxEventBytes: 12 });
  q.feed('data:a\ndata:b\n\ndata:c\n\n');
  assert.deepEqual(events, ['a\nb', 'c']);
  // Comments, event and unknown fields do not accumulate (they are not kept).
  const r = parser(12);
  for (let i = 0; i < 1000; i++) r.feed(': keep-alive comment\nevent: x\nfoo: bar\n');
  assert.equal(new SseEventTooLargeError(9, 8).code, 'SSE_EVENT_TOO_LARGE');
});

test('SSE parser: only keepBytes of a long line or event is kept; the event is still dispatched, marked truncated', () => {
  const long = 'x'.repeat(1000);
  const stream = `event: api_post_event\ndata: ${long}\ndata: more\n\ndata: short\n\n`;
  const bytes = Buffer.from(stream);
  const runs: Array<Array<[string, string, boolean]>> = [];
  for (const size of [1, 3, 64, bytes.length]) {
    const out: Array<[string, string, boolean]> = [];
    const p = new SseParser((t, d, cut) => out.push([t, d, cut]), { keepBytes: 100 });
    for (let i = 0; i < bytes.length; i += size) p.feed(bytes.subarray(i, i + size));
    runs.push(out);
  }
  for (const out of runs) assert.deepEqual(out, runs[0]);
  const [first, second] = runs[0]!;
  assert.equal(first![0], 'api_post_event');
  assert.equal(first![2], true);
  assert.ok(first![1].length <= 100, 'at most keepBytes of data');
  assert.ok(first![1].startsWith('xxxx'));
  assert.deepEqual(second, ['message', 'short', false]);
});

test('SSE parser: a line dripping one byte at a time is counted, not stored chunk by chunk', () => {
  const p = new SseParser(() => undefined, { maxLineLength: 100_000, keepBytes: 16 });
  const one = Buffer.from('y');
  assert.throws(
    () => {
      for (let i = 0; i < 200_000; i++) p.feed(one);
    },
    (e: unknown) => e instanceof SseLineTooLongError && e.length === 100_001,
  );
});

test('SSE parser: random event streams give the same events under any chunking', () => {
  const r = rng(42);
  const ends = ['\r\n', '\n', '\r'];
  for (let k = 0; k < 30; k++) {
    const want: Ev[] = [];
    let text = '';
    const nl = (): string => ends[Math.floor(r() * 3)]!;
    for (let e = 0; e < 5; e++) {
      if (r() < 0.3) text += nl(); // keep-alive
      if (r() < 0.3) text += `: comment ${e}${nl()}`;
      const type = r() < 0.5 ? `t${e}` : '';
      if (type) text += `event: ${type}${nl()}`;
      const lines = 1 + Math.floor(r() * 3);
      const data: string[] = [];
      for (let l = 0; l < lines; l++) {
        const v = `v${e}${l}ü😀`;
        data.push(v);
        text += `data: ${v}${nl()}`;
      }
      // The blank line; after a lone CR, a single LF would only complete that CRLF, so add two.
      text += text.endsWith('\r') ? '\n\n' : '\n';
      want.push([type || 'message', data.join('\n')]);
    }
    check(`random stream ${k}`, text, want);
  }
});
