import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AcmeError,
  ACME_CODES,
  parseRetryAfterHeader,
  parseRetryAfterText,
  problemFields,
  shortProblemType,
} from '../../../src/acme/index.js';
import { problemFromResponse } from '../../../src/acme/errors.js';
import { AppError } from '../../../src/lib/errors.js';

describe('ACME problems (RFC 8555 §6.7)', () => {
  it('shortens ACME URNs and keeps other types whole', () => {
    assert.equal(shortProblemType('urn:ietf:params:acme:error:rateLimited'), 'rateLimited');
    assert.equal(shortProblemType('urn:ietf:params:acme:error:badNonce'), 'badNonce');
    assert.equal(shortProblemType('about:blank'), 'about:blank');
    assert.equal(shortProblemType(undefined), 'unknown');
  });

  it('parses Retry-After as seconds or HTTP-date (RFC 9110 §10.2.3)', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfterHeader('120', now)?.toISOString(), '2026-01-01T00:02:00.000Z');
    assert.equal(
      parseRetryAfterHeader('Thu, 01 Jan 2026 01:00:00 GMT', now)?.toISOString(),
      '2026-01-01T01:00:00.000Z',
    );
    assert.equal(parseRetryAfterHeader('soon', now), undefined);
    assert.equal(parseRetryAfterHeader(undefined, now), undefined);
  });

  describe('Retry-After: every form RFC 9110 allows, nothing else', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const cases: Array<[string, string | undefined]> = [
      ['0', '2026-01-01T00:00:00.000Z'],
      [' 86400 ', '2026-01-02T00:00:00.000Z'],
      ['Fri, 02 Jan 2026 03:04:05 GMT', '2026-01-02T03:04:05.000Z'],
      ['Friday, 02-Jan-26 03:04:05 GMT', '2026-01-02T03:04:05.000Z'],
      ['Fri Jan  2 03:04:05 2026', '2026-01-02T03:04:05.000Z'],
      ['Fri Jan 12 03:04:05 2026', '2026-01-12T03:04:05.000Z'],
      ['3600.0', undefined],
      ['1.5', undefined],
      ['-5', undefined],
      ['2027', '2026-01-01T00:33:47.000Z'],
      ['2026-01-02T00:00:00Z', undefined],
      ['Fri, 02 Jan 2026 03:04:05 +0200', undefined],
      ['', undefined],
    ];
    for (const [value, want] of cases)
      it(JSON.stringify(value), () => assert.equal(parseRetryAfterHeader(value, now)?.toISOString(), want));
  });

  describe("Let's Encrypt's pause is recognised, with its unpause URL; other rate limits are not pauses", () => {
    const unpause = 'https://portal.letsencrypt.org/sfe/v1/unpause?jwt=eyJhbGciOi.eyJzdWIi.sig';
    const cases: Array<[string, string, string, { paused: boolean; url?: string }]> = [
      [
        'the Boulder pause',
        'urn:ietf:params:acme:error:rateLimited',
        `Your account is temporarily prevented from requesting certificates for a.example.com, b.example.com and possibly others. Please visit: ${unpause}`,
        { paused: true, url: unpause },
      ],
      [
        'the URL followed by a full stop',
        'urn:ietf:params:acme:error:rateLimited',
        `Your account is temporarily prevented from requesting certificates for x.example. Please visit: ${unpause}.`,
        { paused: true, url: unpause },
      ],
      [
        'a pause without a URL',
        'urn:ietf:params:acme:error:rateLimited',
        'Your account is temporarily prevented from requesting certificates for x.example',
        { paused: true },
      ],
      [
        'an ordinary rate limit',
        'urn:ietf:params:acme:error:rateLimited',
        'too many certificates (5) already issued for this exact set of identifiers in the last 168h0m0s, retry after 2026-01-01 00:00:00 UTC',
        { paused: false },
      ],
      [
        'the pause wording under another type',
        'urn:ietf:params:acme:error:unauthorized',
        `temporarily prevented from requesting certificates. Please visit: ${unpause}`,
        { paused: false },
      ],
    ];
    for (const [name, type, detail, want] of cases) {
      it(name, () => {
        const err = problemFromResponse({ type, detail }, { status: 429, url: 'https://ca/new-order' });
        assert.equal(err.paused, want.paused);
        assert.equal(err.unpauseUrl, want.url);
        assert.equal(err.retryAfter === undefined, !/retry after/.test(detail));
        if (want.paused) assert.equal(err.details['paused'], true);
      });
    }
  });

  it('parses Let\'s Encrypt "retry after <time>" texts', () => {
    assert.equal(
      parseRetryAfterText(
        'too many certificates (5) already issued for this exact set of identifiers in the last 168h0m0s, retry after 2025-01-29 20:53:53 UTC: see https://letsencrypt.org/docs/rate-limits/',
      )?.toISOString(),
      '2025-01-29T20:53:53.000Z',
    );
    assert.equal(
      parseRetryAfterText('too many new orders recently, retry after 2026-03-04T05:06:07Z')?.toISOString(),
      '2026-03-04T05:06:07.000Z',
    );
    assert.equal(
      parseRetryAfterText('Retry after 2026-03-04T05:06:07.5+02:00')?.toISOString(),
      '2026-03-04T03:06:07.500Z',
    );
    assert.equal(parseRetryAfterText('no time here'), undefined);
  });

  it('builds a typed AcmeError with status, subproblems, url and retryAfter', () => {
    const err = problemFromResponse(
      {
        type: 'urn:ietf:params:acme:error:rejectedIdentifier',
        detail: 'Some identifiers were rejected',
        subproblems: [
          {
            type: 'urn:ietf:params:acme:error:rejectedIdentifier',
            detail: 'forbidden',
            identifier: { type: 'dns', value: 'bad.example' },
          },
          { type: 'urn:ietf:params:acme:error:malformed', detail: 'bad name' },
        ],
      },
      { status: 400, url: 'https://ca/new-order', retryAfterHeader: null },
    );
    assert.ok(err instanceof AcmeError);
    assert.ok(err instanceof AppError);
    assert.equal(err.code, ACME_CODES.problem);
    assert.equal(err.type, 'rejectedIdentifier');
    assert.equal(err.typeUrn, 'urn:ietf:params:acme:error:rejectedIdentifier');
    assert.equal(err.status, 400);
    assert.equal(err.url, 'https://ca/new-order');
    assert.equal(err.retryAfter, undefined);
    assert.deepEqual(err.subproblems, [
      { type: 'rejectedIdentifier', detail: 'forbidden', identifier: { type: 'dns', value: 'bad.example' } },
      { type: 'malformed', detail: 'bad name' },
    ]);
    assert.match(err.message, /rejectedIdentifier/);
  });

  it('takes retryAfter from the header first, else from the detail text', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const fromHeader = problemFields(
      { type: 'urn:ietf:params:acme:error:rateLimited', detail: 'retry after 2030-01-01T00:00:00Z' },
      { status: 429, retryAfterHeader: '60', now },
    );
    assert.equal(fromHeader.retryAfter?.toISOString(), '2026-01-01T00:01:00.000Z');
    const fromText = problemFields(
      { type: 'urn:ietf:params:acme:error:rateLimited', detail: 'retry after 2030-01-01 00:00:00 UTC' },
      { status: 429, now },
    );
    assert.equal(fromText.retryAfter?.toISOString(), '2030-01-01T00:00:00.000Z');
  });

  it('survives a non-JSON or empty problem body', () => {
    const err = problemFromResponse(undefined, { status: 503, url: 'https://ca/x', retryAfterHeader: '5' });
    assert.equal(err.type, 'unknown');
    assert.equal(err.detail, 'HTTP 503');
    assert.equal(err.status, 503);
    assert.ok(err.retryAfter);
  });
});
