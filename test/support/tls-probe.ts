/**
 * What a TLS client gets from a server: a handshake with optional SNI, verified against `ca` (never
 * with verification turned off, except `insecureFingerprintOnly` for the self-signed default.pem, where
 * the fingerprint is what the caller compares).
 */
import { connect, type PeerCertificate } from 'node:tls';

export interface ServedCert {
  readonly subject: string;
  readonly altNames: readonly string[];
  readonly issuer: string;
  readonly validTo: Date;
  readonly serial: string;
  readonly fingerprint256: string;
  readonly authorized: boolean;
  readonly authorizationError?: string;
}

export function probeTls(
  port: number,
  opts: {
    servername?: string;
    ca?: string | string[];
    host?: string;
    insecureFingerprintOnly?: boolean;
    timeoutMs?: number;
  } = {},
): Promise<ServedCert> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: opts.host ?? '127.0.0.1',
      port,
      ...(opts.servername ? { servername: opts.servername } : {}),
      ...(opts.ca ? { ca: opts.ca } : {}),
      // Verified against `ca` and the SNI name, like any client. Only the self-signed default.pem
      // (which nothing can verify) is read without verification, and then compared by fingerprint.
      rejectUnauthorized: !opts.insecureFingerprintOnly,
    });
    const timer = setTimeout(() => socket.destroy(new Error('TLS probe timed out')), opts.timeoutMs ?? 5000);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const c: PeerCertificate = socket.getPeerCertificate();
      const altNames = (c.subjectaltname ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.startsWith('DNS:'))
        .map((s) => s.slice(4));
      const served: ServedCert = {
        subject: String(c.subject?.CN ?? ''),
        altNames,
        issuer: String(c.issuer?.CN ?? ''),
        validTo: new Date(c.valid_to),
        serial: (c.serialNumber ?? '').toLowerCase(),
        fingerprint256: c.fingerprint256,
        authorized: socket.authorized,
        ...(socket.authorizationError ? { authorizationError: String(socket.authorizationError) } : {}),
      };
      socket.end();
      resolve(served);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
