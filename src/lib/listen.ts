/** Listening, as a promise: resolves once `server` listens, rejects with the listen error (EADDRINUSE, EACCES). */
import type { Server } from 'node:net';

export function listenOn(server: Server, port: number, host: string | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
