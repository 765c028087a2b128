/**
 * Start-up adoption benchmark: the time to list (adopt) N stored bundles in `certs/` — what the
 * reconciler waits for before its first plan — against a floor measured in the same run on the same
 * files: read each file, parse its key once and its leaf once (node:crypto), nothing else.
 *
 *   npm run build && node dist/bench/adoption.js [--certs 5000] [--distinct 100] [--runs 3]
 *
 * The bundles are `--distinct` real EC P-256 bundles (key, leaf, intermediate) copied under N names
 * (parsing cost does not depend on the name). Prints the floor, `FileStore.list()`, their ratio
 * (goal ≤ 1.3×), and the minimum/median/maximum of each. Figures only, no assertions.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { silentLogger } from '../src/lib/logger.js';
import { buildBundle } from '../src/store/bundle.js';
import { FileStore } from '../src/store/index.js';
import { createCertFactory } from '../test/support/cert-factory.js';

const { values } = parseArgs({
  options: {
    certs: { type: 'string', default: '5000' },
    distinct: { type: 'string', default: '100' },
    runs: { type: 'string', default: '3' },
  },
});
const N = Number(values.certs);
const DISTINCT = Number(values.distinct);
const RUNS = Number(values.runs);

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! };
};
const fmt = (x: { min: number; median: number; max: number }) =>
  `${x.median.toFixed(0)} ms (min ${x.min.toFixed(0)}, max ${x.max.toFixed(0)})`;

/** The floor: read every file, one key parse and one leaf parse each. */
async function floor(certsDir: string): Promise<number> {
  const started = performance.now();
  for (const f of await readdir(certsDir)) {
    const text = await readFile(join(certsDir, f), 'utf8');
    const keyEnd = text.indexOf('-----END PRIVATE KEY-----') + 26;
    const leafEnd = text.indexOf('-----END CERTIFICATE-----') + 26;
    createPrivateKey(text.slice(0, keyEnd));
    new X509Certificate(text.slice(keyEnd, leafEnd));
  }
  return performance.now() - started;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-adoption-'));
  try {
    const store = new FileStore({ dir, logger: silentLogger() });
    await store.init();
    const factory = await createCertFactory('bench adoption');
    const bundles: string[] = [];
    for (let i = 0; i < DISTINCT; i++) bundles.push(buildBundle(await factory.issue([`c${i}.bench.test`])));
    for (let i = 0; i < N; i++) await writeFile(join(store.certsDir, `c${i}.bench.test.pem`), bundles[i % DISTINCT]!);
    const floors: number[] = [];
    const lists: number[] = [];
    let listed = 0;
    for (let r = 0; r < RUNS; r++) {
      floors.push(await floor(store.certsDir));
      const started = performance.now();
      listed = (await store.list()).certs.length;
      lists.push(performance.now() - started);
    }
    const f = stats(floors);
    const l = stats(lists);
    console.log(`bundles in certs/                        : ${N} (${listed} adopted)`);
    console.log(`floor: read + 1 key parse + 1 leaf parse : ${fmt(f)}`);
    console.log(`FileStore.list() (adoption)              : ${fmt(l)}`);
    console.log(`ratio adoption / floor (medians)         : ${(l.median / f.median).toFixed(2)}x  (goal <= 1.3x)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
