/** Service ports per networking mode, as marathon-lb v1.10.3 counts them (§4.2; §9.8). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { networkingMode, portCount } from '../../../../src/sources/marathon/ports.js';

describe('portCount follows marathon-lb v1.10.3 (test_marathon_util.py)', () => {
  const pm = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      containerPort: 80 + i,
      hostPort: 0,
      servicePort: 10000 + i,
      protocol: 'tcp',
    }));
  const pd = (n: number) => Array.from({ length: n }, (_, i) => ({ port: 10000 + i, protocol: 'tcp' }));
  const cases: Array<[string, Record<string, unknown>, number | 'error']> = [
    [
      'test_host_networking',
      { container: { type: 'DOCKER', docker: { network: 'HOST', image: 'x' } }, portDefinitions: pd(1) },
      1,
    ],
    [
      'test_user_networking',
      {
        container: { type: 'DOCKER', docker: { network: 'USER', image: 'x', portMappings: pm(1) } },
        ipAddress: { networkName: 'dcos', discovery: { ports: [] } },
      },
      1,
    ],
    [
      'test_ip_per_task_no_container',
      {
        ipAddress: {
          discovery: {
            ports: [
              { number: 80, name: 'http', protocol: 'tcp' },
              { number: 81, name: 'x', protocol: 'tcp' },
            ],
          },
        },
      },
      2,
    ],
    [
      'test_ip_per_task_mesos_containerizer',
      { container: { type: 'MESOS' }, ipAddress: { discovery: { ports: [{ number: 80 }, { number: 81 }] } } },
      2,
    ],
    [
      'test_bridge_networking',
      { container: { type: 'DOCKER', docker: { network: 'BRIDGE', portMappings: pm(1) } }, portDefinitions: pd(1) },
      1,
    ],
    [
      'test_bridge_networking_no_port_definitions',
      { container: { type: 'DOCKER', docker: { network: 'BRIDGE', portMappings: pm(2) } }, ports: [10008, 10009] },
      2,
    ],
    [
      'test_host_networking_mesos_marathon15',
      { networks: [{ mode: 'host' }], container: { type: 'MESOS', docker: { image: 'x' } }, portDefinitions: pd(1) },
      1,
    ],
    [
      'test_bridge_networking_marathon15',
      {
        networks: [{ mode: 'container/bridge' }],
        container: { type: 'DOCKER', docker: { image: 'x' }, portMappings: pm(1) },
      },
      1,
    ],
    [
      'test_bridge_networking_mesos_marathon15',
      {
        networks: [{ mode: 'container/bridge' }],
        container: { type: 'MESOS', docker: { image: 'x' }, portMappings: pm(3) },
      },
      3,
    ],
    [
      'test_user_networking_marathon15',
      {
        networks: [{ mode: 'container', name: 'dcos' }],
        container: { type: 'DOCKER', docker: { image: 'x' }, portMappings: pm(1) },
      },
      1,
    ],
    [
      'test_unknown_networking_mode',
      {
        networks: [{ mode: 'container/iptables' }],
        container: { type: 'DOCKER', docker: { image: 'x' }, portMappings: pm(1) },
      },
      'error',
    ],
    // Beyond the original's table:
    [
      'networks: the LAST entry wins, mode defaults to container',
      { networks: [{ mode: 'host' }, { name: 'n2' }], container: { portMappings: pm(2) }, portDefinitions: pd(1) },
      2,
    ],
    ['host with neither list: 0 instead of a crash', {}, 0],
    ['host: portDefinitions preferred over ports', { portDefinitions: pd(1), ports: [1, 2, 3] }, 1],
    [
      'bridge: an empty portDefinitions list is used (0.6.1: key present)',
      { container: { docker: { network: 'BRIDGE', portMappings: pm(2) } }, portDefinitions: [] },
      0,
    ],
    [
      'container: mappings fall back to docker.portMappings',
      { networks: [{ mode: 'container' }], container: { docker: { portMappings: pm(2) } } },
      2,
    ],
    ['container without a container object: 0', { networks: [{ mode: 'container' }] }, 0],
    [
      'docker HOST with ipAddress: container mode',
      { container: { docker: { network: 'HOST' }, portMappings: pm(1) }, ipAddress: {} },
      1,
    ],
    ['null fields are absent', { networks: null, container: null, ipAddress: null, portDefinitions: pd(2) }, 2],
  ];
  for (const [name, a, want] of cases) {
    test(name, () => {
      const r = portCount(a);
      if (want === 'error') assert.equal(r.ok, false);
      else assert.deepEqual(r.ok ? r.count : r.reason, want);
    });
  }
});

describe('networkingMode', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['no hints: host', {}, 'host'],
    ['legacy ipAddress: container', { ipAddress: {} }, 'container'],
    ['docker USER', { container: { docker: { network: 'USER' } } }, 'container'],
    ['docker BRIDGE', { container: { docker: { network: 'BRIDGE' } } }, 'container/bridge'],
    ['networks: last entry', { networks: [{ mode: 'container' }, { mode: 'host' }] }, 'host'],
    ['networks entry without mode', { networks: [{ name: 'n' }] }, 'container'],
    ['networks not a list', { networks: 'host' }, 'error'],
    ['container.docker not an object', { container: { docker: 'x' } }, 'error'],
  ];
  for (const [name, app, want] of cases) {
    test(name, () => {
      const r = networkingMode(app);
      assert.equal(r.ok ? r.mode : 'error', want);
    });
  }
});
