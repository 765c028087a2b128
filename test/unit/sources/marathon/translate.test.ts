/**
 * Marathon apps → snapshot, table-tested against marathon-acme 0.6.1's own cases
 * (reference/marathon-acme-behaviour.md §9.3 test_service.py), plus the validation and SAN mode rules
 * that are new here. Label parsing: labels.test.ts; port counting: ports.test.ts; merge: domain/desired.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appsToSnapshot, type LabelOptions, SnapshotBuilder } from '../../../../src/sources/marathon/translate.js';
import type { Snapshot } from '../../../../src/domain/types.js';
import { MAX_LABEL_LENGTH } from '../../../../src/sources/marathon/labels.js';

const OPTS: LabelOptions = { group: 'external', allowMultipleCerts: false, san: false };

/** A host-networking app with `ports` port definitions, like the original's test fixtures. */
function app(id: string, labels: Record<string, unknown>, ports = 1): Record<string, unknown> {
  return {
    id,
    labels,
    portDefinitions: Array.from({ length: ports }, (_, i) => ({ port: 10000 + i, protocol: 'tcp', labels: {} })),
  };
}
/** The names wanted, in snapshot order, as `file: n1,n2 <- app:port ...`. */
function summary(s: Snapshot): string[] {
  return s.specs.map(
    (c) => `${c.name}: ${c.names.join(',')} <- ${c.requestedBy.map((r) => `${r.appId}:${r.portIndex}`).join(' ')}`,
  );
}
function codes(s: Snapshot): string[] {
  return s.problems.map((p) => p.code);
}

describe('appsToSnapshot follows 0.6.1 (test_service.py sync cases)', () => {
  const cases: Array<{
    name: string;
    apps: unknown[];
    opts?: Partial<LabelOptions>;
    want: string[];
    problems?: string[];
  }> = [
    {
      name: 'test_sync_app',
      apps: [app('/my-app_1', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'example.com' })],
      want: ['example.com: example.com <- /my-app_1:0'],
    },
    {
      name: 'test_sync_app_multiple_ports',
      apps: [
        app(
          '/my-app_1',
          { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'example.com', MARATHON_ACME_1_DOMAIN: 'example2.com' },
          2,
        ),
      ],
      want: ['example.com: example.com <- /my-app_1:0', 'example2.com: example2.com <- /my-app_1:1'],
    },
    {
      name: 'test_sync_multiple_apps',
      apps: [
        app('/my-app_1', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'example.com' }),
        app('/my-app_2', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'example2.com' }),
      ],
      want: ['example.com: example.com <- /my-app_1:0', 'example2.com: example2.com <- /my-app_2:0'],
    },
    {
      name: 'test_sync_apps_common_domains: one certificate, every requester',
      apps: [
        app(
          '/my-app_1',
          { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'example.com', MARATHON_ACME_1_DOMAIN: 'example.com' },
          2,
        ),
        app('/my-app_2', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'example.com' }),
      ],
      want: ['example.com: example.com <- /my-app_1:0 /my-app_1:1 /my-app_2:0'],
    },
    {
      name: 'test_sync_app_multiple_domains: only the first, with the warning',
      apps: [app('/my-app_1', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'example.com,example2.com' })],
      want: ['example.com: example.com <- /my-app_1:0'],
      problems: ['MULTIPLE_DOMAINS_IGNORED'],
    },
    {
      name: 'test_sync_app_multiple_domains_multiple_certs_allowed',
      apps: [app('/my-app_1', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'example.com,example2.com' })],
      opts: { allowMultipleCerts: true },
      want: ['example.com: example.com <- /my-app_1:0', 'example2.com: example2.com <- /my-app_1:0'],
    },
    { name: 'test_sync_no_apps', apps: [], want: [] },
    {
      name: 'test_sync_app_no_domains (only HAPROXY_0_VHOST)',
      apps: [app('/my-app_1', { HAPROXY_0_VHOST: 'example.com' })],
      want: [],
    },
    {
      name: 'test_sync_app_label_but_no_domains',
      apps: [app('/my-app_1', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: '' })],
      want: [],
    },
    {
      name: 'separators only',
      apps: [app('/my-app_1', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: ' , ,  ' })],
      want: [],
    },
    {
      name: 'test_sync_app_group_mismatch',
      apps: [app('/my-app_1', { HAPROXY_GROUP: 'internal', MARATHON_ACME_0_DOMAIN: 'example.com' })],
      want: [],
    },
    {
      name: 'test_sync_app_port_group_mismatch (port group wins)',
      apps: [
        app('/my-app_1', {
          HAPROXY_GROUP: 'external',
          HAPROXY_0_GROUP: 'internal',
          MARATHON_ACME_0_DOMAIN: 'example.com',
        }),
      ],
      want: [],
    },
    {
      name: 'port group qualifies without an app group (§4.1)',
      apps: [app('/my-app_1', { HAPROXY_0_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'example.com' })],
      want: ['example.com: example.com <- /my-app_1:0'],
    },
    {
      name: 'port group overrides per port',
      apps: [
        app(
          '/a',
          {
            HAPROXY_GROUP: 'internal',
            HAPROXY_1_GROUP: 'external',
            MARATHON_ACME_0_DOMAIN: 'zero.com',
            MARATHON_ACME_1_DOMAIN: 'one.com',
          },
          2,
        ),
      ],
      want: ['one.com: one.com <- /a:1'],
    },
    {
      name: 'group match is exact and case-sensitive; no comma lists, no wildcard',
      apps: [
        app('/a', { HAPROXY_GROUP: 'External', MARATHON_ACME_0_DOMAIN: 'a.com' }),
        app('/b', { HAPROXY_GROUP: 'external,internal', MARATHON_ACME_0_DOMAIN: 'b.com' }),
        app('/c', { HAPROXY_GROUP: '*', MARATHON_ACME_0_DOMAIN: 'c.com' }),
        app('/d', { HAPROXY_GROUP: ' external', MARATHON_ACME_0_DOMAIN: 'd.com' }),
      ],
      want: [],
    },
    {
      name: '--group other',
      apps: [app('/a', { HAPROXY_GROUP: 'internal', MARATHON_ACME_0_DOMAIN: 'a.com' })],
      opts: { group: 'internal' },
      want: ['a.com: a.com <- /a:0'],
    },
    {
      name: 'labels for ports the app does not have are ignored (and reported)',
      apps: [app('/a', { HAPROXY_GROUP: 'external', MARATHON_ACME_1_DOMAIN: 'b.com' }, 1)],
      want: [],
      problems: ['PORT_INDEX_OUT_OF_RANGE'],
    },
    {
      name: 'an app with zero ports never contributes',
      apps: [app('/a', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'a.com' }, 0)],
      want: [],
      problems: ['PORT_INDEX_OUT_OF_RANGE'],
    },
    {
      name: 'portDefinitions labels are not read (app-level labels only)',
      apps: [
        {
          id: '/a',
          labels: { HAPROXY_GROUP: 'external' },
          portDefinitions: [{ port: 1, labels: { MARATHON_ACME_0_DOMAIN: 'a.com' } }],
        },
      ],
      want: [],
    },
    {
      name: 'names are normalised; case variants collapse to one certificate',
      apps: [
        app('/a', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'Example.COM.' }),
        app('/b', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'example.com' }),
      ],
      want: ['example.com: example.com <- /a:0 /b:0'],
    },
    {
      name: 'the first name is invalid: it is reported, the second is NOT used instead (only the first)',
      apps: [app('/a', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'bad_name.com good.com' })],
      want: [],
      problems: ['MULTIPLE_DOMAINS_IGNORED', 'INVALID_NAME'],
    },
    {
      name: 'invalid names are problems; every other app proceeds',
      apps: [
        app('/a', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: '../../etc/passwd' }),
        app('/b', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: '*.example.com' }),
        app('/c', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: '10.0.0.1' }),
        app('/d', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'ok.example.com' }),
      ],
      want: ['ok.example.com: ok.example.com <- /d:0'],
      problems: ['INVALID_NAME', 'WILDCARD_NOT_SUPPORTED', 'IP_ADDRESS_NOT_SUPPORTED'],
    },
    {
      name: '--allowed-domains',
      apps: [
        app('/a', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'a.example.com b.badexample.com c.other.org' }),
      ],
      opts: { allowMultipleCerts: true, allowedDomains: ['example.com', 'other.org'] },
      want: ['a.example.com: a.example.com <- /a:0', 'c.other.org: c.other.org <- /a:0'],
      problems: ['DOMAIN_NOT_ALLOWED'],
    },
    {
      name: 'duplicate names in one label give one requester',
      apps: [app('/a', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'a.com a.com A.com' })],
      opts: { allowMultipleCerts: true },
      want: ['a.com: a.com <- /a:0'],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const s = appsToSnapshot(c.apps, { ...OPTS, ...c.opts });
      assert.deepEqual(summary(s), c.want);
      assert.deepEqual(codes(s), c.problems ?? [], 'problems');
    });
  }
});

test('problem records carry app id, port index, label, value and reason', () => {
  const s = appsToSnapshot(
    [app('/team/web', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'a.com,b.com' })],
    OPTS,
  );
  assert.deepEqual(s.problems, [
    {
      source: 'marathon',
      appId: '/team/web',
      portIndex: 0,
      label: 'MARATHON_ACME_0_DOMAIN',
      value: 'a.com,b.com',
      code: 'MULTIPLE_DOMAINS_IGNORED',
      reason: 'Multiple domains found for port 0 of app /team/web, only the first will be used',
    },
  ]);
  const bad = appsToSnapshot([app('/x', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'a\nb/../c' })], OPTS);
  assert.equal(bad.problems.length, 2);
  assert.ok(!/[\n]/.test(bad.problems[0]!.value!), 'control characters are escaped in excerpts');
});

describe('malformed apps become BAD_APP problems and never stop the others', () => {
  const good = app('/good', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'good.com' });
  const cases: Array<[string, unknown, string]> = [
    ['not an object', 'hello', 'BAD_APP'],
    ['null', null, 'BAD_APP'],
    ['no id', { labels: {} }, 'BAD_APP'],
    ['missing labels (0.6.1 crashed the sync with KeyError)', { id: '/a', portDefinitions: [{}] }, 'BAD_APP'],
    ['labels is a list', { id: '/a', labels: [], portDefinitions: [{}] }, 'BAD_APP'],
    [
      'portDefinitions not a list',
      { id: '/a', labels: { HAPROXY_GROUP: 'external' }, portDefinitions: 'x' },
      'BAD_APP',
    ],
    ['unknown networking mode', { id: '/a', labels: {}, networks: [{ mode: 'container/iptables' }] }, 'BAD_APP'],
    ['networks entry not an object', { id: '/a', labels: {}, networks: [7] }, 'BAD_APP'],
    ['domain label not a string', app('/a', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 5 }), 'BAD_LABEL'],
    ['domain label null', app('/a', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: null }), 'BAD_LABEL'],
    ['domain label an object', app('/a', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: { a: 1 } }), 'BAD_LABEL'],
    [
      'domain label beyond the ports, not a string',
      app('/a', { HAPROXY_GROUP: 'external', MARATHON_ACME_3_DOMAIN: ['a.com'] }),
      'BAD_LABEL',
    ],
    [
      'domain label with a zero-padded index (no port reads it)',
      app('/a', { HAPROXY_GROUP: 'external', MARATHON_ACME_00_DOMAIN: 'a.com' }),
      'BAD_LABEL',
    ],
    [
      'domain label over MAX_LABEL_LENGTH',
      app('/a', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: `${'a'.repeat(MAX_LABEL_LENGTH)}.com` }),
      'LABEL_TOO_LARGE',
    ],
    [
      'oversized domain label beyond the ports',
      app('/a', { HAPROXY_GROUP: 'external', MARATHON_ACME_5_DOMAIN: 'b.com '.repeat(MAX_LABEL_LENGTH) }),
      'LABEL_TOO_LARGE',
    ],
    [
      'percent-escaped name (never decoded into another name)',
      app('/a', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'evil%2eexample.test' }),
      'INVALID_NAME',
    ],
  ];
  for (const [name, bad, code] of cases) {
    test(name, () => {
      const s = appsToSnapshot([bad, good], OPTS);
      assert.deepEqual(summary(s), ['good.com: good.com <- /good:0']);
      assert.deepEqual(codes(s), [code]);
    });
  }
  test('not a list at all', () => assert.deepEqual(codes(appsToSnapshot({ apps: [] }, OPTS)), ['BAD_APP']));
});

test('SAN mode: one port, one certificate named after the first name', () => {
  const labels = { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'www.example.com, example.com  api.example.com' };
  const flag = appsToSnapshot([app('/a', labels)], { ...OPTS, san: true });
  assert.deepEqual(summary(flag), ['www.example.com: www.example.com,example.com,api.example.com <- /a:0']);
  assert.deepEqual(codes(flag), [], 'no multiple-domains warning in SAN mode');

  const label = appsToSnapshot([app('/a', { ...labels, MARATHON_ACME_0_SAN: 'TRUE' })], OPTS);
  assert.deepEqual(summary(label), summary(flag), 'label turns it on per port');

  const off = appsToSnapshot([app('/a', { ...labels, MARATHON_ACME_0_SAN: 'false' })], {
    ...OPTS,
    san: true,
    allowMultipleCerts: true,
  });
  assert.equal(off.specs.length, 3, 'label turns it off per port');

  const bad = appsToSnapshot([app('/a', { ...labels, MARATHON_ACME_0_SAN: 'yes' })], OPTS);
  assert.deepEqual(codes(bad), ['BAD_LABEL', 'MULTIPLE_DOMAINS_IGNORED'], 'bad value: problem, flag default used');

  const partial = appsToSnapshot(
    [
      app('/a', {
        HAPROXY_GROUP: 'external',
        MARATHON_ACME_0_SAN: 'true',
        MARATHON_ACME_0_DOMAIN: 'bad_.com b.com c.com b.com',
      }),
    ],
    OPTS,
  );
  assert.deepEqual(
    summary(partial),
    ['b.com: b.com,c.com <- /a:0'],
    'invalid names dropped, duplicates removed, first VALID name names the file',
  );
  assert.deepEqual(codes(partial), ['INVALID_NAME']);

  const shared = appsToSnapshot(
    [
      app('/a', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_SAN: 'true', MARATHON_ACME_0_DOMAIN: 'a.com b.com' }),
      app('/b', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_SAN: 'true', MARATHON_ACME_0_DOMAIN: 'a.com,b.com' }),
      app('/c', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'a.com' }),
    ],
    OPTS,
  );
  // The same set merges. /c wants a.com alone: its own certificate keeps the file (fewest names), so a
  // SAN label headed by its name cannot make it depend on other names; the SAN set moves to b.com.
  assert.deepEqual(
    summary(shared),
    ['a.com: a.com <- /c:0', 'b.com: b.com,a.com <- /a:0 /b:0'],
    'same set merges; a different set for the same file is a conflict, resolved without losing a name',
  );
  assert.deepEqual(
    shared.problems.map((p) => [p.code, p.appId]),
    [['SAN_CONFLICT', '/a']],
  );
});

describe('PORT_INDEX_OUT_OF_RANGE only for ports in --group (port group label, else the app group)', () => {
  const cases: Array<{ name: string; labels: Record<string, unknown>; problems: string[] }> = [
    {
      name: 'app in --group',
      labels: { HAPROXY_GROUP: 'external', MARATHON_ACME_1_DOMAIN: 'b.com' },
      problems: ['PORT_INDEX_OUT_OF_RANGE'],
    },
    {
      name: 'app in another group',
      labels: { HAPROXY_GROUP: 'internal', MARATHON_ACME_1_DOMAIN: 'b.com' },
      problems: [],
    },
    { name: 'app without a group', labels: { MARATHON_ACME_1_DOMAIN: 'b.com' }, problems: [] },
    {
      name: 'port group puts it in --group',
      labels: { HAPROXY_GROUP: 'internal', HAPROXY_1_GROUP: 'external', MARATHON_ACME_1_DOMAIN: 'b.com' },
      problems: ['PORT_INDEX_OUT_OF_RANGE'],
    },
    {
      name: 'port group takes it out of --group',
      labels: { HAPROXY_GROUP: 'external', HAPROXY_1_GROUP: 'internal', MARATHON_ACME_1_DOMAIN: 'b.com' },
      problems: [],
    },
    {
      name: 'group match is exact',
      labels: { HAPROXY_GROUP: 'External', MARATHON_ACME_1_DOMAIN: 'b.com' },
      problems: [],
    },
    {
      name: 'only the ports in --group are reported',
      labels: {
        HAPROXY_GROUP: 'internal',
        HAPROXY_2_GROUP: 'external',
        MARATHON_ACME_1_DOMAIN: 'b.com',
        MARATHON_ACME_2_DOMAIN: 'c.com',
        MARATHON_ACME_3_DOMAIN: 'd.com',
      },
      problems: ['PORT_INDEX_OUT_OF_RANGE:2'],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const s = appsToSnapshot([app('/a', c.labels, 1)], OPTS);
      const got = s.problems.map((p) => (c.name.startsWith('only') ? `${p.code}:${p.portIndex}` : p.code));
      assert.deepEqual(got, c.problems);
      assert.deepEqual(s.specs, []);
    });
  }
});

test('an oversized SAN label is unusable: reported, and the --san flag holds', () => {
  const labels = {
    HAPROXY_GROUP: 'external',
    MARATHON_ACME_0_DOMAIN: 'a.com b.com',
    MARATHON_ACME_0_SAN: ' '.repeat(MAX_LABEL_LENGTH + 1),
  };
  const s = appsToSnapshot([app('/a', labels)], { ...OPTS, san: true });
  assert.deepEqual(summary(s), ['a.com: a.com,b.com <- /a:0']);
  assert.deepEqual(codes(s), ['BAD_LABEL']);
});

test('SnapshotBuilder: an oversized app counts as an app and is an APP_TOO_LARGE problem with its id', () => {
  const b = new SnapshotBuilder(OPTS);
  b.addApp(app('/a', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'a.com' }));
  b.addOversized('/huge', 20_000_000, 4_194_304);
  b.addOversized(undefined, 5_000_000, 4_194_304);
  b.addApp(null);
  const s = b.build();
  assert.deepEqual(summary(s), ['a.com: a.com <- /a:0']);
  assert.deepEqual(codes(s), ['APP_TOO_LARGE', 'APP_TOO_LARGE', 'BAD_APP']);
  assert.equal(s.problems[0]!.appId, '/huge');
  assert.match(s.problems[0]!.reason, /app #1 is 20000000 bytes, over the limit of 4194304/);
  assert.equal(s.problems[1]!.appId, undefined);
  assert.match(s.problems[2]!.reason, /app #3/);
});

test('SnapshotBuilder: apps fed one by one give the same snapshot as appsToSnapshot', () => {
  const apps = [
    app('/a', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'a.com,b.com' }),
    'not an app',
    app('/b', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: 'b.com', MARATHON_ACME_0_SAN: 'maybe' }),
  ];
  const b = new SnapshotBuilder(OPTS);
  for (const a of apps) b.addApp(a);
  assert.deepEqual(b.build(), appsToSnapshot(apps, OPTS));
  assert.equal(b.build().problems[1]!.reason, 'app #1 is not an object', 'apps are numbered in feeding order');
});
