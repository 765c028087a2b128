/**
 * Status page benchmark: the cost of one render of the overview's `<main>` (what the page re-reads on
 * each poll or event) for N certificates, beside a floor measured in the same run on the same model:
 * `JSON.stringify` of it, which is what `/status` itself costs. Also the size of the fragment (sent only
 * when it changed: an unchanged one is answered 304 by its ETag), and the cost when the data has not
 * changed (the last fragment is kept, keyed by the data: no render).
 *
 *   npm run build && node dist/bench/ui.js [--certs 5000] [--runs 10]
 *
 * One in a hundred certificates is failing, so the attention section is not empty. Figures only.
 */
import { parseArgs } from 'node:util';
import { renderUi, type UiStatus } from '../src/http/ui/index.js';
import { loadavg } from './proc.js';

const { values } = parseArgs({
  options: { certs: { type: 'string', default: '5000' }, runs: { type: 'string', default: '10' } },
});
const N = Number(values.certs);
const RUNS = Number(values.runs);
const now = Date.now();
const iso = (ms: number): string => new Date(now + ms).toISOString();

function model(n: number): UiStatus {
  const certificates = Array.from({ length: n }, (_, i) => {
    const failing = i % 100 === 0;
    return {
      name: `app${i}.example.com`,
      names: [`app${i}.example.com`],
      state: failing ? 'failing' : 'valid',
      requestedBy: [{ source: 'marathon', appId: `/team${i % 50}/app${i}`, portIndex: 0 }],
      notAfter: iso(60 * 86_400_000),
      renewAt: iso(30 * 86_400_000),
      failures: failing ? 2 : 0,
      ...(failing
        ? {
            lastError: { code: 'ACME_ERROR', type: 'connection', detail: 'dial tcp: connection refused', at: iso(0) },
            nextAttempt: iso(300_000),
          }
        : {}),
    };
  });
  return { version: 'bench', certificates, heldRemovals: [], problems: [] };
}

/** Median of `runs` timings of `fn`, in ms, after two warm-up calls. */
function median(fn: () => unknown): number {
  fn();
  fn();
  const t: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    fn();
    t.push(performance.now() - start);
  }
  return t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!;
}

const status = model(N);
const opts = { api: false, readAuth: false };
const req = { kind: 'overview', fragment: true } as const;
const first = renderUi(req, { status, now }, opts);
const floor = median(() => JSON.stringify(status, null, 2));
let version = 0;
// Changed data (a new version string each time): a full render.
const render = median(() => renderUi(req, { status: { ...status, version: `v${version++}` }, now }, opts));
const same = median(() => renderUi(req, { status, now }, opts));
const unchanged = median(() => renderUi(req, { status, now }, { ...opts, ifNoneMatch: first.headers['ETag'] }));
console.log(`load average: ${loadavg()}`);
console.log(`certificates                        : ${N}`);
console.log(
  `fragment size                       : ${(first.body.length / 1e6).toFixed(2)} MB (sent only when changed)`,
);
console.log(`floor: JSON.stringify of /status    : ${floor.toFixed(1)} ms`);
console.log(
  `data changed: render of the fragment: ${render.toFixed(1)} ms (${(render / floor).toFixed(1)}x the floor)`,
);
console.log(`data unchanged: kept fragment      : ${same.toFixed(1)} ms (${(same / floor).toFixed(1)}x the floor)`);
console.log(`data unchanged, client has it: 304 : ${unchanged.toFixed(1)} ms, no body`);
