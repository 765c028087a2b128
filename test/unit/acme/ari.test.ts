/** src/acme/ari.ts: renewalInfo URLs and answers (RFC 9773). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRenewalInfo, renewalInfoUrl } from '../../../src/acme/ari.js';
import { AppError } from '../../../src/lib/errors.js';

describe('renewalInfo URL (RFC 9773 §4.1)', () => {
  for (const base of ['https://ca/ari', 'https://ca/ari/', 'https://ca/ari//']) {
    it(`appends the certID to ${base}`, () => {
      assert.equal(renewalInfoUrl(base, 'aki.serial'), 'https://ca/ari/aki.serial');
    });
  }
});

describe('renewalInfo responses (RFC 9773 §4.2)', () => {
  const header = (v?: string) => ({ header: (n: string) => (n === 'retry-after' ? v : undefined) });
  it('returns the window, explanationURL and Retry-After', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const info = parseRenewalInfo(
      {
        suggestedWindow: { start: '2026-02-01T00:00:00Z', end: '2026-02-02T00:00:00Z' },
        explanationURL: 'https://ca/why',
      },
      header('21600'),
      'u',
      now,
    );
    assert.equal(info.start.toISOString(), '2026-02-01T00:00:00.000Z');
    assert.equal(info.end.toISOString(), '2026-02-02T00:00:00.000Z');
    assert.equal(info.explanationUrl, 'https://ca/why');
    assert.equal(info.retryAfterMs, 21_600_000);
  });
  it('leaves out explanationUrl and retryAfterMs when the CA sent neither', () => {
    const body = { suggestedWindow: { start: '2026-02-01T00:00:00Z', end: '2026-02-02T00:00:00Z' } };
    const info = parseRenewalInfo(body, header(), 'u');
    assert.deepEqual(Object.keys(info).sort(), ['end', 'start']);
  });

  const bad = [
    {
      name: 'a window that ends before it starts',
      body: { suggestedWindow: { start: '2026-02-02T00:00:00Z', end: '2026-02-01T00:00:00Z' } },
    },
    {
      name: 'an empty window (end equals start)',
      body: { suggestedWindow: { start: '2026-02-01T00:00:00Z', end: '2026-02-01T00:00:00Z' } },
    },
    { name: 'a missing window', body: {} },
    { name: 'unreadable dates', body: { suggestedWindow: { start: 'soon', end: 'later' } } },
  ];
  for (const c of bad) {
    it(`rejects ${c.name} with ACME_BAD_RESPONSE`, () => {
      assert.throws(
        () => parseRenewalInfo(c.body, header(), 'u'),
        (e: unknown) => e instanceof AppError && e.code === 'ACME_BAD_RESPONSE',
      );
    });
  }
});
