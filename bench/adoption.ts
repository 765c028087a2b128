/**
 * Start-up adoption benchmark: the time to list (adopt) N stored bundles in `certs/` — what the
 * reconciler waits for before its first plan — against a floor measured in the same run on the same
 * files: read each file, parse its key once and its leaf once (node:crypto), nothing else.
 *
 *   npm run build && node dist/bench/adoption.js [--certs 5000] [--distinct 100] [--runs 3]
 *
 * The bundles are `--distinct` real EC P-256 bundles (key, leaf, intermediate) copied under N names
 * (parsing cost does not depend on the name). Prints the floor, `FileStore.list()`, their ratio
 * (goal ≤ 1.3×), and the minimum/median/maximum of each. Then a Reconciler is started on that storage
 * wanting the N names plus one new one: the time until the new name is ordered (it does not wait for
 * the adoption) beside the time until every bundle is adopted. Figures only, no assertions.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { silentLogger } from '../src/lib/logger.js';
import { buildBundle } from '../src/store/bundle.js';
import { FileStore } from '../src/store/index.js';
import { Reconciler } from '../src/reconciler/reconciler.js';
import { createCertFactory } from '../test/support/cert-factory.js';
import { EventRecorder, FakeIssuer, FakeNotifier } from '../test/support/fakes.js';

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

/** A reconciler on `store` wanting every stored name and one new: when the new one is ordered, when all are read. */
async function startUp(store: FileStore): Promise<{ ordered: number; adopted: number }> {
  const issuer = new FakeIssuer();
  const ac = new AbortController();
  const r = new Reconciler({
    ...{ store, issuer, notifier: new FakeNotifier(), events: new EventRecorder(), logger: silentLogger() },
    ...{ sources: ['static'], keyType: 'ec256', removeAfterMs: 86_400_000, maxRemovalFraction: 0.5 },
    ...{ revokeRemoved: false, productionCa: false, maxConcurrentOrders: 5, orderBudget: 0 },
  });
  const specs = [...Array(N).keys()].map((i) => `c${i}.bench.test`).concat('new.bench.test');
  const requestedBy = [{ source: 'static' as const }];
  const started = performance.now();
  const done = r.start(ac.signal);
  r.setSnapshot('static', { specs: specs.map((n) => ({ name: n, names: [n], requestedBy })), problems: [] });
  let ordered = 0;
  while (!r.status().ready) {
    if (!ordered && issuer.requests.length > 0) ordered = performance.now() - started;
    await new Promise((res) => setTimeout(res, 5));
  }
  const adopted = performance.now() - started;
  ac.abort();
  await done;
  return { ordered, adopted };
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
    const start = await startUp(store);
    console.log(`start-up: a new name ordered after       : ${start.ordered.toFixed(0)} ms`);
    console.log(`start-up: every bundle adopted after     : ${start.adopted.toFixed(0)} ms`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
