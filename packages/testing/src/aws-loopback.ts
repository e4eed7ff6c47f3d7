import type { Server } from 'node:http';

/**
 * Listens on 127.0.0.1 with an OS-chosen port and returns the port. Test servers stay on
 * loopback: nothing here should be reachable from another machine.
 */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('The server did not bind a TCP port.');
  return address.port;
}

/** Closes a server and the keep-alive connections that would otherwise hold it open. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
