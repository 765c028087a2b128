import { createServer } from 'node:net';

/**
 * A free TCP port on 127.0.0.1, below Linux's ephemeral range (32768–60999). A port the kernel hands out
 * with `listen(0)` comes from that range, which every outgoing connection of every concurrent test also
 * draws its source port from: between our release and the server's bind another process could take it
 * (an EADDRINUSE seen under load). Ports below the range are never given to outgoing connections; the
 * bind check skips one another test holds.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * 12_000);
    if (await bindable(port)) return port;
  }
  throw new Error('no free port found between 20000 and 32000');
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
