import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IssuerRegistry } from '../../../src/acme/registry.js';
import { silentLogger } from '../../../src/lib/logger.js';

const keys = () => ({ read: async () => null, write: async () => {} });

test('one issuer per CA, in order of preference, each with its own settings', () => {
  const r = new IssuerRegistry(
    [
      { directoryUrl: 'https://user:secret@ca-a.test/dir', accountKey: keys(), production: true, profile: 'tlsserver' },
      { directoryUrl: 'https://ca-b.test/dir', accountKey: keys(), production: false, preferredChain: 'Root X' },
    ],
    { solvers: [], logger: silentLogger() },
  );
  try {
    assert.deepEqual(
      r.issuers.map((i) => i.directoryUrl),
      ['https://ca-a.test/dir', 'https://ca-b.test/dir'],
      'named without credentials',
    );
    const choices = r.choices();
    assert.equal(choices[0]!.issuer, r.issuers[0]);
    assert.deepEqual(
      choices.map(({ issuer: _i, ...rest }) => rest),
      [
        { production: true, profile: 'tlsserver' },
        { production: false, preferredChain: 'Root X' },
      ],
    );
    assert.equal(r.byUrl('https://ca-b.test/dir'), r.issuers[1]);
    assert.equal(r.byUrl('https://other.test/dir'), undefined);
  } finally {
    r.close();
  }
  assert.throws(() => new IssuerRegistry([], { solvers: [], logger: silentLogger() }), /at least one CA/);
});
