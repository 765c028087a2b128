/**
 * A deterministic generator of large Marathon clusters for the simulator, the demo and benchmarks.
 * Apps mix every networking shape of reference/marathon-acme-behaviour.md §4.2 (1.5+ `networks` host /
 * container/bridge / container, legacy docker BRIDGE with `ports`, legacy `ipAddress` discovery) and
 * carry the fields a real `/v2/apps` list has (env, health checks, versionInfo, counts, deployments), so
 * payload sizes are realistic (~1.5 KB per app).
 */

export interface ClusterOptions {
  /** Total apps (default 10 000). */
  readonly apps?: number;
  /** Apps with `MARATHON_ACME_{n}_DOMAIN` labels (default half). */
  readonly acmeApps?: number;
  /** Base domain of the generated names (default `example.com`). */
  readonly domain?: string;
  /** PRNG seed (default 1). */
  readonly seed?: number;
}

/** mulberry32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VERSION = '2026-11-01T10:00:00.000Z';

function portMapping(i: number, k: number): Record<string, unknown> {
  return {
    containerPort: 8080 + k,
    hostPort: 0,
    servicePort: 10000 + ((i * 2 + k) % 50000),
    protocol: 'tcp',
    name: `http${k}`,
    labels: {},
  };
}

function networking(i: number, shape: number, ports: number): Record<string, unknown> {
  const mappings = Array.from({ length: ports }, (_, k) => portMapping(i, k));
  const docker = {
    image: `registry.example.com/team${i % 40}/service:${1 + (i % 9)}.0.${i % 17}`,
    forcePullImage: false,
    privileged: false,
    parameters: [],
  };
  switch (shape) {
    case 0: // Marathon 1.5+ host networking
      return {
        networks: [{ mode: 'host' }],
        container: { type: 'MESOS', volumes: [], docker },
        portDefinitions: mappings.map((m) => ({
          port: m['servicePort'],
          protocol: 'tcp',
          name: m['name'],
          labels: {},
        })),
      };
    case 1: // Marathon 1.5+ bridge
      return {
        networks: [{ mode: 'container/bridge' }],
        container: { type: 'DOCKER', volumes: [], docker, portMappings: mappings },
      };
    case 2: // Marathon 1.5+ virtual network
      return {
        networks: [{ mode: 'container', name: 'dcos' }],
        container: { type: 'DOCKER', volumes: [], docker, portMappings: mappings },
      };
    case 3: // < 1.5 docker BRIDGE with the legacy ports list
      return {
        container: { type: 'DOCKER', volumes: [], docker: { ...docker, network: 'BRIDGE', portMappings: mappings } },
        ports: mappings.map((m) => m['servicePort']),
      };
    default: // < 1.5 ip-per-task
      return {
        container: null,
        ipAddress: {
          networkName: 'dcos',
          groups: [],
          labels: {},
          discovery: { ports: mappings.map((_m, k) => ({ number: 8080 + k, name: `http${k}`, protocol: 'tcp' })) },
        },
      };
  }
}

/** Generate `apps` Marathon apps, the first `acmeApps` of every two-ish carrying ACME labels. */
export function generateCluster(opts: ClusterOptions = {}): Record<string, unknown>[] {
  const total = opts.apps ?? 10_000;
  const acme = Math.min(total, opts.acmeApps ?? Math.floor(total / 2));
  const domain = opts.domain ?? 'example.com';
  const rnd = prng(opts.seed ?? 1);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const shape = i % 5;
    const ports = 1 + (rnd() < 0.3 ? 1 : 0);
    const team = `team${i % 40}`;
    const id = `/${team}/svc-${i}`;
    const labels: Record<string, string> = {};
    // Spread ACME apps evenly through the list.
    const isAcme = acme > 0 && Math.floor(((i + 1) * acme) / total) !== Math.floor((i * acme) / total);
    if (isAcme) {
      const r = rnd();
      labels['HAPROXY_GROUP'] = r < 0.9 ? 'external' : 'internal';
      labels['HAPROXY_0_VHOST'] = `svc-${i}.${domain}`;
      labels['MARATHON_ACME_0_DOMAIN'] =
        rnd() < 0.2 ? `svc-${i}.${domain}, www.svc-${i}.${domain}` : `svc-${i}.${domain}`;
      if (ports > 1) {
        labels['HAPROXY_1_GROUP'] = 'external';
        labels['MARATHON_ACME_1_DOMAIN'] = `api-${i}.${domain}`;
      }
      if (i % 97 === 0) labels['MARATHON_ACME_0_DOMAIN'] = `shared.${domain}`;
    } else if (rnd() < 0.5) {
      labels['HAPROXY_GROUP'] = rnd() < 0.5 ? 'external' : 'internal';
      labels['HAPROXY_0_VHOST'] = `internal-${i}.${domain}`;
    }
    labels['owner'] = team;
    out.push({
      id,
      cmd: null,
      args: ['--port', '8080', '--log-level', 'info'],
      user: null,
      env: {
        JAVA_OPTS: '-Xmx256m -XX:+UseG1GC',
        SERVICE_NAME: `svc-${i}`,
        ENVIRONMENT: 'production',
        LOG_FORMAT: 'json',
      },
      instances: 1 + (i % 3),
      cpus: 0.5,
      mem: 512,
      disk: 0,
      gpus: 0,
      executor: '',
      constraints: [['hostname', 'UNIQUE']],
      uris: [],
      fetch: [],
      storeUrls: [],
      backoffSeconds: 1,
      backoffFactor: 1.15,
      maxLaunchDelaySeconds: 3600,
      ...networking(i, shape, ports),
      healthChecks: [
        {
          gracePeriodSeconds: 300,
          intervalSeconds: 60,
          maxConsecutiveFailures: 3,
          portIndex: 0,
          timeoutSeconds: 20,
          delaySeconds: 15,
          protocol: 'MESOS_HTTP',
          path: '/health',
          ipProtocol: 'IPv4',
        },
      ],
      readinessChecks: [],
      dependencies: [],
      upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
      labels,
      acceptedResourceRoles: ['*'],
      version: VERSION,
      versionInfo: { lastScalingAt: VERSION, lastConfigChangeAt: VERSION },
      killSelection: 'YOUNGEST_FIRST',
      unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
      tasksStaged: 0,
      tasksRunning: 1 + (i % 3),
      tasksHealthy: 1 + (i % 3),
      tasksUnhealthy: 0,
      deployments: [],
    });
  }
  return out;
}
