import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics, renderMetrics } from '../../../src/observe/metrics.js';
import type { CertificateSeries } from '../../../src/observe/certificate-gauges.js';

const row = (over: Partial<CertificateSeries> = {}): CertificateSeries => ({
  expiry: 1_900_000_000,
  renewal: 1_890_000_000,
  failures: 0,
  backoffUntil: 0,
  ...over,
});

test('renderMetrics renders exactly what prom-client renders for the same registry', async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.certificateGauges.update([
    ['a.example', row()],
    ['b.example', row({ expiry: undefined, renewal: undefined, failures: 3, backoffUntil: 1_800_000_123.5 })],
  ]);
  m.orders.inc({ result: 'success', problem_type: '' });
  m.certificates.set({ state: 'valid' }, 1);
  assert.equal(await renderMetrics(m), await m.registry.metrics());
});

test('a certificate left out of an update loses its series; one whose value changed shows the new value', async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.certificateGauges.update([
    ['a.example', row()],
    ['b.example', row()],
  ]);
  m.certificateGauges.update([['a.example', row({ failures: 2 })]]);
  const text = await renderMetrics(m);
  assert.doesNotMatch(text, /b\.example/);
  assert.match(text, /^marathon_acme_certificate_consecutive_failures\{domain="a\.example"\} 2$/m);
  assert.equal(text, await m.registry.metrics());
});

test('a value that becomes undefined drops that series only', async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.certificateGauges.update([['a.example', row()]]);
  m.certificateGauges.update([['a.example', row({ renewal: undefined })]]);
  const text = await renderMetrics(m);
  assert.doesNotMatch(text, /certificate_renewal_timestamp_seconds\{/);
  assert.match(text, /certificate_expiry_timestamp_seconds\{domain="a\.example"\} 1900000000/);
});

test('label values are escaped as prom-client escapes them', async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.certificateGauges.update([['we"ird\\name\n', row()]]);
  const text = await renderMetrics(m);
  assert.match(text, /\{domain="we\\"ird\\\\name\\n"\}/);
  assert.equal(text, await m.registry.metrics());
});

test('the text served after a change is the new one (the cached text is dropped), and the same without one', async () => {
  const m = createMetrics({ defaultMetrics: false });
  m.certificateGauges.update([
    ['a.example', row()],
    ['b.example', row()],
  ]);
  const before = await renderMetrics(m);
  m.certificateGauges.update([
    ['a.example', row()],
    ['b.example', row()],
  ]);
  assert.equal(await renderMetrics(m), before, 'nothing changed');
  m.certificateGauges.update([
    ['a.example', row({ backoffUntil: 1_800_000_000 })],
    ['c.example', row()],
  ]);
  const after = await renderMetrics(m);
  assert.match(after, /backoff_until_timestamp_seconds\{domain="a\.example"\} 1800000000/);
  assert.match(after, /expiry_timestamp_seconds\{domain="c\.example"\}/);
  assert.doesNotMatch(after, /b\.example/);
  assert.equal(after, await m.registry.metrics());
});
