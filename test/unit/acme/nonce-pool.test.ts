import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NoncePool } from '../../../src/acme/index.js';
import { badNoncePause } from '../../../src/acme/nonce-pool.js';

describe('NoncePool (RFC 8555 §6.5)', () => {
  it('hands out each nonce exactly once, newest first', () => {
    const p = new NoncePool();
    p.add('a');
    p.add('b');
    assert.equal(p.take(), 'b');
    assert.equal(p.take(), 'a');
    assert.equal(p.take(), undefined);
  });

  it('ignores missing and malformed nonces (§6.5.1: base64url)', () => {
    const p = new NoncePool();
    p.add(undefined);
    p.add('');
    p.add('not a nonce!');
    assert.equal(p.size, 0);
  });

  it('is bounded, dropping the oldest', () => {
    const p = new NoncePool(3);
    for (const n of ['n1', 'n2', 'n3', 'n4', 'n5']) p.add(n);
    assert.equal(p.size, 3);
    assert.deepEqual([p.take(), p.take(), p.take(), p.take()], ['n5', 'n4', 'n3', undefined]);
  });

  it('claims a particular nonce once (the one a badNonce answer carried)', () => {
    const p = new NoncePool();
    p.add('a');
    p.add('b');
    assert.equal(p.claim('a'), true);
    assert.equal(p.claim('a'), false);
    assert.equal(p.claim(undefined), false);
    assert.equal(p.take(), 'b');
    assert.equal(p.take(), undefined);
  });
});

it('badNoncePause: free for 50 retries, then 10 ms doubling to 1 s', () => {
  assert.deepEqual([0, 1, 49, 50, 51, 52, 56, 57, 100].map(badNoncePause), [0, 0, 0, 10, 20, 40, 640, 1000, 1000]);
});
