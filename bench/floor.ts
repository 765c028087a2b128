/**
 * The ACME floor from an independent client: bench/floor_acme.py (Debian's python3-acme) against its
 * own fresh Pebble, either with real HTTP-01 (it serves the tokens itself on the port Pebble's VA
 * connects to) or with PEBBLE_VA_ALWAYS_VALID=1 (the pure protocol floor: the only place the
 * benchmarks use it). Pebble's 5% badNonce injection stays on in both.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startPebble } from '../test/support/pebble.js';

const execFileAsync = promisify(execFile);
export const PYTHON = '/usr/bin/python3';
/** The script lives in the source tree (bench/), two levels above dist/bench/. */
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'floor_acme.py');

export interface FloorResult {
  readonly orders: number;
  readonly ms_per_order: number;
  readonly min_ms: number;
  readonly median_ms: number;
  readonly max_ms: number;
  readonly client: string;
}

/** `orders` sequential orders (after 2 warm-up orders) with python3-acme; ms per order. */
export async function acmeFloor(orders: number, mode: 'http-01' | 'always-valid'): Promise<FloorResult> {
  if (!existsSync(SCRIPT)) throw new Error(`${SCRIPT} is missing`);
  const pebble = await startPebble(mode === 'always-valid' ? { env: { PEBBLE_VA_ALWAYS_VALID: '1' } } : {});
  try {
    const args = [SCRIPT, '--directory', pebble.directoryUrl, '--ca', pebble.caCertPath, '--orders', String(orders)];
    if (mode === 'http-01') args.push('--http-port', String(pebble.httpPort));
    const { stdout } = await execFileAsync(PYTHON, args, { timeout: 300_000 }).catch((err: Error) => {
      throw new Error(`${err.message}\n(apt-get install -y python3-acme: the floor needs Debian's python3-acme)`);
    });
    return JSON.parse(stdout.trim().split('\n').pop()!) as FloorResult;
  } finally {
    await pebble.stop();
  }
}
