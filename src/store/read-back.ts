/** Small file checks of the store: a read-back compared byte for byte, and whether a path exists. */
import { stat } from 'node:fs/promises';
import { AppError } from '../lib/errors.js';

/** What was read back must be byte-identical to what was built (the full check ran before the write). */
export function sameBytes(onDisk: string, expected: string): void {
  if (onDisk !== expected)
    throw new AppError('BUNDLE_INVALID', 'the bundle read back differs from the one written', {
      details: { reason: 'PEM_INVALID' },
    });
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
