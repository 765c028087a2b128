/**
 * Failover benchmark (high availability, `--zk`): three marathon-acme instances on a real ZooKeeper,
 * HAProxy round-robining the challenge path across them, Pebble validating through it. N times: kill -9
 * the leader, post a new app at the same moment, and measure until HAProxy serves its certificate
 * (verified against Pebble's root) — the failover time a user sees: the session timeout, the election,
 * one order. The killed instance is started again (it rejoins as a follower) before the next round.
 * Also printed: another instance leading (from the kill), and new orders per name (target: exactly 1).
 *
 *   npm run build && node dist/bench/failover.js [--rounds 20] [--session-timeout 10]
 * Figures only, no assertions.
 */
import { parseArgs } from 'node:util';
import { app } from '../test/support/stack.js';
import { startHaStack } from '../test/support/ha-stack.js';
import { probeTls } from '../test/support/tls-probe.js';
import { fmtMs, line, loadavg, mmm, sleep } from './proc.js';

const labels = (name: string): Record<string, string> => ({ HAPROXY_GROUP: 'external', MARATHON_ACME_0_DOMAIN: name });

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '20' }, 'session-timeout': { type: 'string', default: '10' } },
});
const rounds = Number(values.rounds);
const sessionTimeout = Number(values['session-timeout']);

const stack = await startHaStack({ sessionTimeout, pebble: { env: { PEBBLE_AUTHZREUSE: '0' } } });
try {
  const root = await stack.pebble.rootPem();
  const served = async (name: string): Promise<number> => {
    for (;;) {
      try {
        const c = await probeTls(stack.haproxy.httpsPort, { servername: name, ca: root, timeoutMs: 2000 });
        if (c.authorized && c.altNames.includes(name)) return performance.now();
      } catch {
        /* not yet */
      }
      await sleep(20);
    }
  };
  await stack.leader(60_000);
  const toLeader: number[] = [];
  const toServed: number[] = [];
  for (let r = 0; r < rounds; r += 1) {
    const old = await stack.leader(60_000);
    const name = `f${r}.failover.test`;
    const t0 = performance.now();
    process.kill(stack.instances[old]!.daemon.pid, 'SIGKILL');
    stack.sim.apps.add(app(`/failover/f${r}`, labels(name)) as Record<string, unknown>);
    const others = stack.instances.map((_, i) => i).filter((i) => i !== old);
    await stack.leader(120_000, others);
    toLeader.push(performance.now() - t0);
    toServed.push((await served(name)) - t0);
    await stack.instances[old]!.daemon.exited;
    stack.restart(old);
    // The restarted instance must be a follower again before the next kill.
    for (;;) {
      const s = await stack.status(old);
      if (s && s.cluster.members.length === stack.instances.length) break;
      await sleep(100);
    }
    process.stderr.write(`round ${r + 1}/${rounds}: served after ${fmtMs(toServed.at(-1)!)}\n`);
  }
  console.log(`failover, ${rounds} rounds, --zk-session-timeout ${sessionTimeout} (load ${loadavg()})`);
  line('kill -9 -> another instance leads (min/median/max)', mmm(toLeader));
  line('kill -9 -> next app served (min/median/max)', mmm(toServed), `<= ${sessionTimeout + 5} s`);
  const orders = stack.newOrders();
  line('new orders per name', `${(orders / rounds).toFixed(2)} (${orders} orders, ${rounds} names)`, 'exactly 1');
} finally {
  await stack.stop();
}
