import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EventBus } from '../../../src/events/bus.js';
import { Journal } from '../../../src/events/journal.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { makeTempDir, removeTempDir } from '../../support/temp-dirs.js';

const at = '2026-12-02T10:00:00.000Z';

test('the journal keeps each certificate history, bounded, across a new journal on the same directory', async (t) => {
  const dir = makeTempDir('journal-');
  t.after(() => removeTempDir(dir));
  const bus = new EventBus();
  const journal = new Journal(dir, silentLogger(), 3);
  bus.subscribe(journal.record);
  for (let i = 0; i < 10; i++) bus.emit({ type: 'removal_cancelled', name: 'a.example', at });
  bus.emit({ type: 'revoked', name: 'b.example', at, serial: '0a', reason: 'keyCompromise' });
  const a = await journal.history('a.example');
  assert.equal(a.length, 3);
  assert.deepEqual(
    a.map((e) => e.type),
    ['removal_cancelled', 'removal_cancelled', 'removal_cancelled'],
  );
  assert.ok(a[0]!.id < a[2]!.id, 'oldest first');
  const lines = (await readFile(join(dir, 'history', 'a.example.jsonl'), 'utf8')).trim().split('\n');
  assert.ok(lines.length <= 6, `the file is pruned (${lines.length} lines)`);
  const restarted = new Journal(dir, silentLogger(), 3);
  assert.deepEqual(await restarted.history('a.example'), a, 'history survives a restart');
  assert.equal((await restarted.history('b.example'))[0]?.type, 'revoked');
  assert.deepEqual(await restarted.history('never.example'), []);
  assert.deepEqual((await readdir(dir)).sort(), ['history'], 'nothing outside history/');
});

test('unsafe names are not journaled, and a cut line is skipped', async (t) => {
  const dir = makeTempDir('journal-');
  t.after(() => removeTempDir(dir));
  const journal = new Journal(dir, silentLogger());
  const bus = new EventBus();
  bus.subscribe(journal.record);
  bus.emit({ type: 'removal_cancelled', name: '../escape', at });
  assert.deepEqual(await journal.history('../escape'), []);
  await mkdir(join(dir, 'history'), { recursive: true });
  await writeFile(join(dir, 'history', 'c.example.jsonl'), '{"id":1,"type":"removed","name":"c.example"}\n{"id":2,"ty');
  assert.deepEqual(
    (await journal.history('c.example')).map((e) => e.id),
    [1],
  );
});

test('a journal that cannot write never reaches the emitter', async (t) => {
  const dir = makeTempDir('journal-');
  t.after(() => removeTempDir(dir));
  await writeFile(join(dir, 'history'), 'a file where the directory should be');
  const journal = new Journal(dir, silentLogger());
  const bus = new EventBus();
  bus.subscribe(journal.record);
  assert.doesNotThrow(() => bus.emit({ type: 'removal_cancelled', name: 'a.example', at }));
  await assert.rejects(journal.history('a.example'));
});
