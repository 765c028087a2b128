import assert from 'node:assert/strict';
import { test } from 'node:test';
import { challengeTypeFor, parseChallengeLabel } from '../../../src/domain/challenge.js';
import type { ChallengeType } from '../../../src/domain/types.js';

const ON = { dnsEnabled: true, dnsZones: ['internal.example.com'] };
const OFF = { dnsEnabled: false, dnsZones: ['internal.example.com'] };

const CASES: Array<[string, string, ChallengeType | undefined, typeof ON, ChallengeType]> = [
  ['a wildcard always uses DNS-01', '*.apps.example.com', undefined, ON, 'dns-01'],
  ['a wildcard even when the label says http-01', '*.apps.example.com', 'http-01', ON, 'dns-01'],
  ['a name under --dns-zones', 'svc.internal.example.com', undefined, ON, 'dns-01'],
  ['the zone itself', 'internal.example.com', undefined, ON, 'dns-01'],
  ['not a suffix match by characters', 'xinternal.example.com', undefined, ON, 'http-01'],
  ['the label forces http-01 inside a zone', 'svc.internal.example.com', 'http-01', ON, 'http-01'],
  ['the label asks dns-01 outside the zones', 'www.example.com', 'dns-01', ON, 'dns-01'],
  ['everything else HTTP-01', 'www.example.com', undefined, ON, 'http-01'],
  ['no provider: always HTTP-01', 'svc.internal.example.com', 'dns-01', OFF, 'http-01'],
];
for (const [name, id, asked, rules, want] of CASES)
  test(name, () => assert.equal(challengeTypeFor(id, asked, rules), want));

const LABELS: Array<[unknown, ChallengeType | undefined]> = [
  ['dns-01', 'dns-01'],
  [' DNS-01 ', 'dns-01'],
  ['http-01', 'http-01'],
  ['tls-alpn-01', undefined],
  ['', undefined],
  [42, undefined],
];
for (const [v, want] of LABELS)
  test(`parseChallengeLabel(${JSON.stringify(v)})`, () => assert.equal(parseChallengeLabel(v), want));
