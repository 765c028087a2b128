/** The entry point: a bad value is a usage error — one line naming the flag, exit 2 — never a crash. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/main.js';

async function stderrOf(fn: () => Promise<number>): Promise<{ code: number; text: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let text = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await fn(), text };
  } finally {
    process.stderr.write = write;
  }
}

test('bad values exit 2 with a usage line and one error line naming the flag', async (t) => {
  const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [['--marathon', 'marathon.mesos:8080', '/tmp/x'], {}, /argument --marathon: not an http\(s\) URL/],
    [['--lb', 'marathon-lb:9090', '/tmp/x'], {}, /argument --lb: not an http\(s\) URL/],
    [['--acme', 'not-a-url', '/tmp/x'], {}, /argument --acme:/],
    [['--email', 'notanemail', '/tmp/x'], {}, /argument --email:/],
    [['/tmp/x'], { MARATHON_ACME_REMOVE_AFTER: 'abc' }, /environment variable MARATHON_ACME_REMOVE_AFTER/],
    [['--acme', 'https://a.test/dir,ftp://b', '/tmp/x'], {}, /argument --acme: not an https URL/],
    [
      ['--acme', 'https://a.test/dir', '/tmp/x'],
      { MARATHON_ACME_ACME_1_EAB_KID: 'k' },
      /environment variable MARATHON_ACME_ACME_1_EAB_KID: there is no CA 1 in --acme/,
    ],
    [
      ['--acme', 'https://a.test/dir,https://b.test/dir', '/tmp/x'],
      { MARATHON_ACME_ACME_1_EAB_HMAC_KEY: 'c2VjcmV0' },
      /MARATHON_ACME_ACME_1_EAB_KID and MARATHON_ACME_ACME_1_EAB_HMAC_KEY must be given together/,
    ],
  ];
  for (const [argv, env, re] of cases) {
    await t.test(argv.concat(Object.keys(env)).join(' '), async () => {
      const { code, text } = await stderrOf(() => main(argv, env));
      assert.equal(code, 2);
      const lines = text.trimEnd().split('\n');
      assert.equal(lines.length, 2, text);
      assert.match(lines[0]!, /^usage: marathon-acme /);
      assert.match(lines[1]!, /^marathon-acme: error: /);
      assert.match(lines[1]!, re);
    });
  }
});
