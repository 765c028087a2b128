import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certIdFromHex, certIdOf, pemCertificates, splitChain, topIssuerCn } from '../../../src/acme/chain.js';
import { AppError } from '../../../src/lib/errors.js';

/** A CA and a leaf with a chosen serial, made with openssl (AKI is added by openssl x509 -req by default). */
function makeCerts(serialHex: string): { ca: string; leaf: string; akiHex: string } {
  const dir = mkdtempSync(join(tmpdir(), 'certid-'));
  try {
    const run = (args: string[]): string =>
      execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    run([
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '1',
      '-subj',
      '/CN=Test Root X1',
      '-addext',
      'subjectKeyIdentifier=hash',
    ]);
    run(['req', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=leaf.example']);
    writeFileSync(join(dir, 'ext'), 'authorityKeyIdentifier=keyid\nsubjectAltName=DNS:leaf.example\n');
    run([
      'x509',
      '-req',
      '-in',
      'leaf.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-set_serial',
      `0x${serialHex}`,
      '-days',
      '1',
      '-extfile',
      'ext',
      '-out',
      'leaf.pem',
    ]);
    const text = run(['x509', '-in', 'leaf.pem', '-noout', '-ext', 'authorityKeyIdentifier']);
    const akiHex = (/([0-9A-F]{2}(?::[0-9A-F]{2})+)/i.exec(text)?.[1] ?? '').replace(/:/g, '');
    return { ca: readFileSync(join(dir, 'ca.pem'), 'utf8'), leaf: readFileSync(join(dir, 'leaf.pem'), 'utf8'), akiHex };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('ARI certID (RFC 9773 §4.1)', () => {
  it('matches the RFC 9773 example', () => {
    assert.equal(
      certIdFromHex('69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4', '00:87:65:43:21'),
      'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE',
    );
  });

  it('computes the certID of a real certificate, keeping the DER 00 of a high-bit serial', () => {
    const { leaf, akiHex } = makeCerts('87654321');
    assert.equal(akiHex.length, 40);
    const [aki, serial] = certIdOf(leaf).split('.');
    assert.equal(Buffer.from(aki!, 'base64url').toString('hex'), akiHex.toLowerCase());
    assert.equal(serial, 'AIdlQyE');
  });

  it('does not add a 00 to a serial whose high bit is clear', () => {
    const { leaf } = makeCerts('12345678');
    assert.equal(certIdOf(leaf).split('.')[1], Buffer.from('12345678', 'hex').toString('base64url'));
  });

  it('rejects input without a certificate', () => {
    assert.throws(
      () => certIdOf('nope'),
      (e: unknown) => e instanceof AppError && e.code === 'ACME_BAD_CERTIFICATE',
    );
  });
});

describe('PEM chains (RFC 8555 §9.1)', () => {
  it('splits a chain into leaf and intermediates, normalising line ends', () => {
    const { ca, leaf } = makeCerts('01');
    const text = `${leaf}\n${ca}`.replace(/\n/g, '\r\n');
    const { certPem, chainPem } = splitChain(text);
    assert.equal(certPem, `${leaf.replace(/\n+$/, '')}\n`);
    assert.equal(pemCertificates(chainPem).length, 1);
    assert.ok(!chainPem.includes('\r'));
    assert.equal(topIssuerCn(text), 'Test Root X1');
  });

  it('rejects a truncated block instead of merging it into the next certificate', () => {
    const { ca, leaf } = makeCerts('02');
    const truncated = `${leaf.slice(0, leaf.indexOf('-----END CERTIFICATE-----') - 20)}\n`;
    const isBad = (e: unknown): boolean =>
      e instanceof AppError &&
      e.code === 'ACME_BAD_RESPONSE' &&
      (e.cause as { code?: string } | undefined)?.code === 'PEM_INVALID';
    assert.throws(() => splitChain(truncated + ca), isBad);
    assert.throws(() => pemCertificates(truncated + ca), isBad);
    assert.throws(() => topIssuerCn(truncated + ca), isBad);
    assert.throws(
      () => certIdOf(truncated + ca),
      (e: unknown) => e instanceof AppError && e.code === 'ACME_BAD_CERTIFICATE',
    );
  });

  it('keeps only CERTIFICATE blocks and ignores text between them', () => {
    const { ca, leaf } = makeCerts('03');
    const text = `subject=CN = leaf.example\n${leaf}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n${ca}`;
    assert.equal(pemCertificates(text).length, 2);
  });

  it('rejects a download without certificates', () => {
    assert.throws(
      () => splitChain('<html>'),
      (e: unknown) => e instanceof AppError && e.code === 'ACME_BAD_RESPONSE',
    );
  });
});
