/**
 * The demo: the whole system on this machine. `npm run demo` (scripts/demo.sh) builds and runs it,
 * until Ctrl-C (which stops everything it started and removes its temporary directories).
 *   --cert-lifetime S   lifetime of the certificates Pebble issues, in seconds (default 120: marathon-acme
 *                       renews at two thirds of it, so a renewal shows up about 80 s after each issue;
 *                       Debian's Pebble would otherwise issue 5-year certificates)
 */
import { parseArgs } from 'node:util';
import { formatTextLine } from '../src/lib/logger.js';
import { startStack, app, type Stack } from '../test/support/stack.js';

const SAMPLE_APPS = [
  app('/demo/web', {
    HAPROXY_GROUP: 'external',
    HAPROXY_0_VHOST: 'web.demo.test',
    MARATHON_ACME_0_DOMAIN: 'web.demo.test',
  }),
  // SAN mode: one certificate for both names.
  app('/demo/shop', {
    HAPROXY_GROUP: 'external',
    HAPROXY_0_VHOST: 'shop.demo.test,www.shop.demo.test',
    MARATHON_ACME_0_DOMAIN: 'shop.demo.test, www.shop.demo.test',
    MARATHON_ACME_0_SAN: 'true',
  }),
  // The label is on the second port; the first port has none.
  app(
    '/demo/api',
    { HAPROXY_GROUP: 'external', HAPROXY_1_VHOST: 'api.demo.test', MARATHON_ACME_1_DOMAIN: 'api.demo.test' },
    2,
  ),
  // Another marathon-lb group: ignored, as marathon-acme 0.6.1 ignored it.
  app('/demo/internal', { HAPROXY_GROUP: 'internal', MARATHON_ACME_0_DOMAIN: 'internal.demo.test' }),
  // A hostile label: rejected and reported, everything else proceeds.
  app('/demo/bad', { HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: '../../etc/passwd' }),
];
const EXPECTED: Array<{ sni: string; names: string[] }> = [
  { sni: 'web.demo.test', names: ['web.demo.test'] },
  { sni: 'shop.demo.test', names: ['shop.demo.test', 'www.shop.demo.test'] },
  { sni: 'api.demo.test', names: ['api.demo.test'] },
];

const say = (s: string): void => void process.stdout.write(`${s}\n`);

/** The SNI names already served, with the serial HAProxy served; a new install of one of them is a renewal. */
const served = new Map<string, string>();

/** Print each renewal once HAProxy serves the new certificate (watched from the daemon's log lines). */
function watchRenewal(stack: Stack, line: string): void {
  let rec: { msg?: string; domain?: string; reason?: string };
  try {
    rec = JSON.parse(line) as typeof rec;
  } catch {
    return;
  }
  if (rec.msg !== 'certificate installed' || !rec.domain) return;
  const sni = rec.domain; // the sample certificates are named after their first name, which is their SNI here
  const old = served.get(sni);
  if (old === undefined) return;
  stack.waitServed(sni, { notSerial: old, timeoutMs: 60_000 }).then(
    (c) => {
      served.set(sni, c.serial);
      say(
        `\nRENEWED and served by HAProxy for SNI ${sni}: serial ${old} -> ${c.serial}, expires ${c.validTo.toISOString()} (${rec.reason ?? 'renewal'})`,
      );
    },
    (err: unknown) => say(`\nRENEWAL of ${sni} not served: ${err instanceof Error ? err.message : String(err)}`),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'cert-lifetime': { type: 'string', default: '120' } } });
  const lifetime = Number(values['cert-lifetime']);
  if (!Number.isInteger(lifetime) || lifetime < 10) throw new Error('--cert-lifetime: whole seconds, at least 10');
  say(
    'Starting HAProxy, a marathon-lb stand-in, Pebble (real HTTP-01 validation through HAProxy), a Marathon simulator and marathon-acme...',
  );
  let stack: Stack | undefined;
  stack = await startStack({
    apps: SAMPLE_APPS,
    pebble: { certificateValidityPeriod: lifetime },
    daemonArgs: ['--remove-after', '30', '--log-level', 'info'],
    echo: (line) => {
      say(`  marathon-acme | ${formatTextLine(line)}`);
      if (stack) watchRenewal(stack, line);
    },
  });
  const s = stack;
  let stopping = false;
  const stop = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      say('\nStopping...');
      await s.stop();
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    say(`\nStorage directory: ${s.storageDir}`);
    say(`Status page: ${s.daemonUrl}/ui/   (open it in a browser: it updates live)`);
    for (const e of EXPECTED) {
      const c = await s.waitServed(e.sni, { names: e.names, timeoutMs: 90_000 });
      served.set(e.sni, c.serial);
      say(
        `\nSERVED by HAProxy for SNI ${e.sni}: subject CN=${c.subject}, names ${c.altNames.join(', ')}, issuer ${c.issuer}, serial ${c.serial}, expires ${c.validTo.toISOString()}, verified against Pebble's root: ${c.authorized}`,
      );
    }
    const status = (await (await fetch(`${s.daemonUrl}/status`)).json()) as {
      problems: Array<{ appId?: string; code: string; reason: string }>;
    };
    for (const p of status.problems) say(`REJECTED label of ${p.appId ?? '?'}: ${p.code} (${p.reason})`);
  } catch (err) {
    say(`\nDEMO FAILED: ${err instanceof Error ? err.message : String(err)}`);
    await stop(1);
  }
  printHints(s, lifetime);
}

function printHints(s: Stack, lifetime: number): void {
  say(`
All sample certificates are served. They live ${lifetime} s (--cert-lifetime): marathon-acme renews each at two
thirds of its lifetime, so watch for RENEWED lines about ${Math.round((lifetime * 2) / 3)} s after each was issued.
Status page (live): ${s.daemonUrl}/ui/
Try, in another terminal:
  curl -s ${s.daemonUrl}/status | less                        # every certificate, why it exists, its state
  curl -s ${s.daemonUrl}/health                               # health checks
  curl -s ${s.daemonUrl}/metrics | grep '^marathon_acme_cert'  # metrics
  curl -s -X POST ${s.sim.url}/v2/apps -H 'Content-Type: application/json' \\
       -d '{"id":"/demo/new","cmd":"sleep 1","labels":{"HAPROXY_GROUP":"external","MARATHON_ACME_0_DOMAIN":"new.demo.test"},"portDefinitions":[{"port":0}]}'
  openssl s_client -connect 127.0.0.1:${s.haproxy.httpsPort} -servername new.demo.test </dev/null 2>/dev/null | openssl x509 -noout -subject -enddate
  curl -s -X DELETE ${s.sim.url}/v2/apps/demo/web               # archived after --remove-after 30 s
Press Ctrl-C to stop.`);
}

main().catch((err: unknown) => {
  process.stderr.write(`demo: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
