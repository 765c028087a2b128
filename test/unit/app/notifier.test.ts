import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../src/lib/logger.js';
import { MarathonLbNotifier } from '../../../src/notify/marathon-lb.js';
import { buildNotifier } from '../../../src/app/notifier.js';
import { NoopNotifier } from '../../../src/notify/noop.js';

test('buildNotifier picks the notifiers the configuration asks for', () => {
  const base = { storageDir: '/tmp/x', lb: [] as string[] } as unknown as Parameters<typeof buildNotifier>[0];
  const logger = silentLogger();
  assert.ok(buildNotifier(base, logger) instanceof NoopNotifier);
  assert.ok(buildNotifier({ ...base, lb: ['http://lb:9090'] }, logger) instanceof MarathonLbNotifier);
  const both = buildNotifier(
    { ...base, lb: ['http://lb:9090'], notifyCommand: ['/bin/true'], haproxySocket: '/run/haproxy.sock' },
    logger,
  );
  assert.equal(both.name, 'marathon-lb+haproxy-runtime+command');
});
