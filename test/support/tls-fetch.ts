/**
 * Which certificate does a TLS server present? A handshake on 127.0.0.1 with optional SNI, verified
 * against `ca` (and the SNI name). Only `insecureForFingerprint` skips verification — for the
 * self-signed default.pem, which nothing can verify; the caller then compares the fingerprint.
 */
import { connect } from 'node:tls';

export interface Presented {
  readonly fingerprint256: string;
  readonly serial: string;
  readonly subject: string;
  readonly authorized: boolean;
}

export function presentedCert(port: number, opts: { servername?: string; ca?: string; insecureForFingerprint?: boolean; timeoutMs?: number }): Promise<Presented> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      // no servername => no SNI (Node sends none for an IP literal host)
      ...(opts.servername ? { servername: opts.servername } : {}),
      ...(opts.ca ? { ca: opts.ca } : {}),
      rejectUnauthorized: !opts.insecureForFingerprint,
    });
    const timer = setTimeout(() => socket.destroy(new Error('TLS handshake timed out')), opts.timeoutMs ?? 5000);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const c = socket.getPeerCertificate();
      resolve({ fingerprint256: c.fingerprint256, serial: c.serialNumber.toLowerCase(), subject: String(c.subject?.CN ?? ''), authorized: socket.authorized });
      socket.end();
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
