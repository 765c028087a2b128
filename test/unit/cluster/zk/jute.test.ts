/** The jute codec and the frame splitter: a reply and a watch event in one TCP segment are both read. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JuteReader, JuteWriter, MAX_FRAME_BYTES, splitFrames } from '../../../../src/cluster/zk/jute.js';
import { digestId, readReplyHeader, readWatchEvent } from '../../../../src/cluster/zk/protocol.js';

const frame = (w: JuteWriter) => w.frame();
const reply = frame(new JuteWriter().int(7).long(42n).int(0).string('/a'));
const watch = frame(new JuteWriter().int(-1).long(-1n).int(0).int(2).int(3).string('/leader/n-1'));

const cases: Array<{ name: string; input: Buffer; frames: number; rest: number }> = [
  { name: 'empty buffer', input: Buffer.alloc(0), frames: 0, rest: 0 },
  { name: 'half a length prefix', input: reply.subarray(0, 2), frames: 0, rest: 2 },
  { name: 'one whole frame', input: reply, frames: 1, rest: 0 },
  { name: 'a reply and a watch event in one segment', input: Buffer.concat([reply, watch]), frames: 2, rest: 0 },
  {
    name: 'a frame and the start of the next',
    input: Buffer.concat([reply, watch.subarray(0, 9)]),
    frames: 1,
    rest: 9,
  },
];

for (const c of cases) {
  test(`splitFrames: ${c.name}`, () => {
    const { frames, rest } = splitFrames(c.input);
    assert.equal(frames.length, c.frames);
    assert.equal(rest.length, c.rest);
  });
}

test('splitFrames: a negative or oversized length is a broken stream', () => {
  const bad = Buffer.alloc(4);
  bad.writeInt32BE(-5);
  assert.throws(() => splitFrames(bad), RangeError);
  bad.writeInt32BE(MAX_FRAME_BYTES + 1);
  assert.throws(() => splitFrames(bad), RangeError);
});

test('a reply header and a watch event decode field by field', () => {
  const { frames } = splitFrames(Buffer.concat([reply, watch]));
  const r = new JuteReader(frames[0]!);
  assert.deepEqual(readReplyHeader(r), { xid: 7, zxid: 42n, err: 0 });
  assert.equal(r.string(), '/a');
  const w = new JuteReader(frames[1]!);
  assert.equal(readReplyHeader(w).xid, -1);
  assert.deepEqual(readWatchEvent(w), { type: 2, state: 3, path: '/leader/n-1' });
});

test('strings, null buffers and vectors round-trip; reading past the end throws', () => {
  const r = new JuteReader(new JuteWriter().string(null).strings(['a', 'bé']).bool(true).bytes());
  assert.equal(r.string(), null);
  assert.deepEqual(r.strings(), ['a', 'bé']);
  assert.equal(r.bool(), true);
  assert.throws(() => r.int(), RangeError);
});

test("digestId is ZooKeeper's user:base64(sha1(user:password))", () => {
  // java -cp zookeeper.jar org.apache.zookeeper.server.auth.DigestAuthenticationProvider super:secret
  assert.equal(digestId('super', 'secret'), 'super:lK75jTNcA+U9vtVEw5vB51mj/w4=');
});
