/**
 * Whose failure a DNS-01 error is (issue 12): a DNS server that does not answer is an outage, waited out
 * and not charged to the certificate (as an unreachable CA); a refusal or a timeout is the certificate's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failureFacts, failureScope } from '../../../../src/reconciler/failure.js';
import { DnsError } from '../../../../src/solvers/dns01/transport.js';

const CASES: Array<[string, 'certificate' | 'ca']> = [
  ['DNS_UNREACHABLE', 'ca'],
  ['DNS_BADSIG', 'certificate'],
  ['DNS_BADKEY', 'certificate'],
  ['DNS_UPDATE_REFUSED', 'certificate'],
  ['DNS_PROPAGATION_TIMEOUT', 'certificate'],
  ['DNS_PROVIDER_FAILED', 'certificate'],
  ['DNS_CNAME_REQUIRED', 'certificate'],
];
for (const [code, scope] of CASES) {
  test(`${code} during an accepted order is scoped '${scope}'`, () => {
    const err = new DnsError(code as ConstructorParameters<typeof DnsError>[0], 'x');
    assert.equal(failureScope(err, 'created'), scope);
    assert.equal(failureFacts(err).code, code);
  });
}
