import { createServer } from 'node:net';

/**
 * Ports handed out by this process. The OS may give a port it just reported free again to the next
 * `listen(0)`, so two `freePort()` calls for one daemon (its HTTP port and its broker port) could
 * otherwise name the same port.
 */
const handedOut = new Set<number>();

/** A port the OS says is free right now on 127.0.0.1 (listen on 0, read it, close), not one handed out before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await unusedPort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}
