/**
 * The event journal: the history of each certificate, kept across restarts. A bus subscriber appends every
 * lifecycle event to `<storage>/history/<name>.jsonl` (one JSON object per line, outside `certs/`), and
 * `history(name)` reads back the last `keep` events.
 *
 * Contract: bounded — a file holds at most 2 × `keep` lines before it is rewritten (atomically: temp file,
 * rename) with its last `keep`; writes of one certificate are serialised, so `history` sees every event
 * emitted before it was called; a failed write is logged once per certificate and never reaches the
 * emitter; an unreadable or partly written line is skipped. Names that are not safe file names are not
 * journaled.
 */
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LifecycleEvent } from '../domain/events.js';
import { assertSafeName, fitFileName } from '../lib/file-names.js';
import type { Logger } from '../lib/logger.js';

export const DEFAULT_HISTORY_LENGTH = 50;

export class Journal {
  private readonly dir: string;
  /** Per certificate: the chain of its pending writes, and its line count when known. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly lines = new Map<string, number>();
  private readonly warned = new Set<string>();
  private ready: Promise<void> | undefined;

  constructor(
    storageDir: string,
    private readonly log: Logger,
    private readonly keep: number = DEFAULT_HISTORY_LENGTH,
  ) {
    this.dir = join(storageDir, 'history');
  }

  /** The bus subscriber: journal `event` (asynchronously, in order per certificate). */
  readonly record = (event: LifecycleEvent): void => {
    const file = this.fileOf(event.name);
    if (!file) return;
    const line = `${JSON.stringify(event)}\n`;
    this.chain(event.name, async () => {
      await this.mkdir();
      let count = this.lines.get(event.name) ?? (await this.read(file)).length;
      await appendFile(file, line, { mode: 0o640 });
      count += 1;
      if (count > 2 * this.keep) count = await this.prune(file);
      this.lines.set(event.name, count);
    });
  };

  /** The last `keep` events of `name`, oldest first (after the writes already queued). */
  async history(name: string): Promise<LifecycleEvent[]> {
    const file = this.fileOf(name);
    if (!file) return [];
    await this.chains.get(name);
    return (await this.read(file)).slice(-this.keep);
  }

  private chain(name: string, step: () => Promise<void>): void {
    const next = (this.chains.get(name) ?? Promise.resolve()).then(step).catch((err: unknown) => {
      this.lines.delete(name);
      if (this.warned.has(name)) return;
      this.warned.add(name);
      this.log.warn({ domain: name, err }, 'cannot write the certificate history');
    });
    this.chains.set(name, next);
    void next.then(() => {
      if (this.chains.get(name) === next) this.chains.delete(name);
    });
  }

  private mkdir(): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true, mode: 0o750 }).then(() => undefined);
    return this.ready.catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
  }

  private async read(file: string): Promise<LifecycleEvent[]> {
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    const events: LifecycleEvent[] = [];
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        events.push(JSON.parse(line) as LifecycleEvent);
      } catch {
        /* a line cut by a crash: skipped */
      }
    }
    return events;
  }

  /** Keep the last `keep` events; returns the new line count. */
  private async prune(file: string): Promise<number> {
    const kept = (await this.read(file)).slice(-this.keep);
    const tmp = `${file}.tmp`;
    await writeFile(tmp, kept.map((e) => `${JSON.stringify(e)}\n`).join(''), { mode: 0o640 });
    await rename(tmp, file);
    return kept.length;
  }

  private fileOf(name: string): string | undefined {
    try {
      assertSafeName(name);
    } catch {
      return undefined;
    }
    return join(this.dir, fitFileName(name, '.jsonl'));
  }
}
