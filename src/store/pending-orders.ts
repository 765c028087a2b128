/**
 * Orders the CA accepted and that are not finished yet: `<dir>/orders/<file>.json` (mode 0600: the
 * certificate's private key is inside), one per certificate name, written atomically before the order
 * is finalized. A leader that takes over (or a restarted daemon) resumes the order by its URL instead of
 * ordering the name again. Outside `certs/`: HAProxy never reads it.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PendingOrder } from '../domain/contracts.js';
import { assertSafeName, fileStem, fitFileName } from '../lib/file-names.js';
import { writeDurable } from './durable.js';

const fileOf = (name: string): string => fitFileName(fileStem(name), '.json');

/** Write (or with null, delete) the pending order of `name`. */
export async function writePendingOrder(
  stagingDir: string,
  ordersDir: string,
  name: string,
  order: PendingOrder | null,
): Promise<void> {
  assertSafeName(name);
  const file = join(ordersDir, fileOf(name));
  if (order === null) {
    await rm(file, { force: true });
    return;
  }
  await mkdir(ordersDir, { recursive: true, mode: 0o700 });
  const record = {
    name,
    orderUrl: order.orderUrl,
    names: order.names,
    keyPem: order.keyPem,
    ...(order.directoryUrl ? { directoryUrl: order.directoryUrl } : {}),
  };
  await writeDurable(stagingDir, file, `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

/** The pending order of `name`, or null when there is none or it is unreadable (a fresh order is then made). */
export async function readPendingOrder(ordersDir: string, name: string): Promise<PendingOrder | null> {
  assertSafeName(name);
  let text: string;
  try {
    text = await readFile(join(ordersDir, fileOf(name)), 'utf8');
  } catch {
    return null;
  }
  try {
    const r = JSON.parse(text) as Record<string, unknown>;
    const names = r.names;
    if (r.name !== name || typeof r.orderUrl !== 'string' || typeof r.keyPem !== 'string') return null;
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) return null;
    const directoryUrl = typeof r.directoryUrl === 'string' ? { directoryUrl: r.directoryUrl } : {};
    return { orderUrl: r.orderUrl, keyPem: r.keyPem, names, ...directoryUrl };
  } catch {
    return null;
  }
}
